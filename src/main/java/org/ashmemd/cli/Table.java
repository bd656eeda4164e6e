package org.ashmemd.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.ashmemd.text.Escape;

/**
 * A plain text table: a header row, left-aligned text and right-aligned numbers. Every cell is
 * escaped ({@link Escape#text}): names come from clients and may hold control characters. Widths
 * are those of the escaped text in terminal columns; printing is linear in the cells.
 */
final class Table {
    private final String[] headers;
    private final boolean[] rightAligned;
    private final List<String[]> rows = new ArrayList<>();
    private final List<int[]> widths = new ArrayList<>(); // each row's cell widths
    /** Each column's width so far: the widest of header and cells, kept as rows are added. */
    private final int[] columnWidths;

    /** Column names; a name ending in '>' is right-aligned (the marker is not printed). */
    Table(String... columns) {
        headers = new String[columns.length];
        rightAligned = new boolean[columns.length];
        for (int i = 0; i < columns.length; i++) {
            rightAligned[i] = columns[i].endsWith(">");
            headers[i] = rightAligned[i] ? columns[i].substring(0, columns[i].length() - 1) : columns[i];
        }
        columnWidths = new int[headers.length];
        for (int i = 0; i < columnWidths.length; i++) {
            columnWidths[i] = Escape.width(headers[i]);
        }
    }

    Table row(Object... cells) {
        String[] r = new String[headers.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = i < cells.length && cells[i] != null ? Escape.text(cells[i].toString()) : "";
        }
        int[] rw = new int[r.length];
        for (int i = 0; i < r.length; i++) {
            rw[i] = Escape.width(r[i]);
            columnWidths[i] = Math.max(columnWidths[i], rw[i]);
        }
        rows.add(r);
        widths.add(rw);
        return this;
    }

    int size() {
        return rows.size();
    }

    void print(PrintWriter out) {
        int[] hw = new int[headers.length];
        for (int i = 0; i < hw.length; i++) {
            hw[i] = Escape.width(headers[i]);
        }
        line(out, headers, hw);
        for (int k = 0; k < rows.size(); k++) {
            line(out, rows.get(k), widths.get(k));
        }
        out.flush();
    }

    private void line(PrintWriter out, String[] cells, int[] cellWidths) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                b.append("  ");
            }
            String pad = " ".repeat(columnWidths[i] - cellWidths[i]);
            if (rightAligned[i]) {
                b.append(pad).append(cells[i]);
            } else if (i < cells.length - 1) {
                b.append(cells[i]).append(pad);
            } else {
                b.append(cells[i]);
            }
        }
        out.println(b.toString().stripTrailing());
    }
}
