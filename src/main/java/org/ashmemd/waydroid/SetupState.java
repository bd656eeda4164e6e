package org.ashmemd.waydroid;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What {@code enable} did, so that {@code disable} can undo it: every file it created, every file
 * it changed with its original bytes (in {@code originals/N}), every directory it created, and the
 * hash of what it last wrote to each file (a file whose hash differs was rewritten by someone
 * else since, typically Waydroid itself). Saved after each step, before the step's file is
 * written, so that an interrupted enable can still be undone.
 */
final class SetupState {
    static final String FILE = "state.json";
    static final String ORIGINALS = "originals";

    /** How a file came to be what it is. */
    enum Kind {
        /** It did not exist: disable deletes it. */
        CREATED,
        /** It existed and was replaced as a whole: disable writes the original back. */
        REPLACED,
        /**
         * A configuration file edited line by line: disable writes the original back when the file
         * is still what enable wrote, and otherwise takes out only ashmemd's edits.
         */
        EDITED
    }

    /** One file: its system path, how it changed, where its original is kept, what was written. */
    record Item(String path, Kind kind, String original, String writtenSha256) {
    }

    /** The saved form. */
    record Saved(int version, String enabledAt, List<Item> items, List<String> createdDirectories,
            String propertyBefore) {
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.INDENT_OUTPUT, true);
    /** Marks {@link #propertyBefore} as "the property was not set". */
    static final String ABSENT = "\u0000absent";

    private final Path dir;
    private String enabledAt;
    private final List<Item> items = new ArrayList<>();
    private final List<String> createdDirectories = new ArrayList<>();
    private String propertyBefore;
    private boolean exists;

    private SetupState(Path dir) {
        this.dir = dir;
    }

    /** The state in {@code dir}; empty (not {@link #exists()}) when enable has not run. */
    static SetupState load(Path dir) throws IOException {
        SetupState s = new SetupState(dir);
        Path f = dir.resolve(FILE);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(f);
        } catch (NoSuchFileException e) {
            return s;
        }
        Saved saved;
        try {
            saved = JSON.readValue(bytes, Saved.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(f + " is damaged (" + e.getOriginalMessage() + "); it records what "
                    + "'ashmemctl waydroid enable' changed, so it is left as it is", e);
        }
        s.exists = true;
        s.enabledAt = saved.enabledAt();
        if (saved.items() != null) {
            s.items.addAll(saved.items());
        }
        if (saved.createdDirectories() != null) {
            s.createdDirectories.addAll(saved.createdDirectories());
        }
        s.propertyBefore = saved.propertyBefore();
        return s;
    }

    boolean exists() {
        return exists;
    }

    Path dir() {
        return dir;
    }

    String enabledAt() {
        return enabledAt;
    }

    List<Item> items() {
        return List.copyOf(items);
    }

    List<String> createdDirectories() {
        return List.copyOf(createdDirectories);
    }

    Item item(String path) {
        for (Item i : items) {
            if (i.path().equals(path)) {
                return i;
            }
        }
        return null;
    }

    /** The property's value before enable; {@link #ABSENT} when it was not set, null when unknown. */
    String propertyBefore() {
        return propertyBefore;
    }

    void propertyBefore(String value) {
        propertyBefore = value;
    }

    void start(String now) {
        if (enabledAt == null) {
            enabledAt = now;
        }
    }

    void createdDirectory(String path) {
        if (!createdDirectories.contains(path)) {
            createdDirectories.add(path);
        }
    }

    /** Records a file about to be created. */
    void created(String path, byte[] written) {
        put(new Item(path, Kind.CREATED, null, sha256(written)));
    }

    /** Records a file about to be replaced or edited, keeping its original bytes. */
    void changed(String path, Kind kind, byte[] original, byte[] written) throws IOException {
        Item old = item(path);
        String name = old != null && old.original() != null ? old.original() : nextOriginalName();
        Files.createDirectories(dir.resolve(ORIGINALS));
        Files.write(dir.resolve(ORIGINALS).resolve(name), original);
        put(new Item(path, kind, name, sha256(written)));
    }

    /** Records a new write to a file already recorded. */
    void written(String path, byte[] written) {
        Item old = item(path);
        put(new Item(path, old.kind(), old.original(), sha256(written)));
    }

    byte[] original(Item item) throws IOException {
        return Files.readAllBytes(dir.resolve(ORIGINALS).resolve(item.original()));
    }

    static boolean isWritten(Item item, byte[] current) {
        return item.writtenSha256().equals(sha256(current));
    }

    void save() throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve(FILE + ".new");
        Files.write(tmp, JSON.writeValueAsBytes(new Saved(1, enabledAt, items, createdDirectories, propertyBefore)));
        Files.move(tmp, dir.resolve(FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        exists = true;
    }

    /** Removes the state directory and everything in it. */
    void delete() throws IOException {
        Path originals = dir.resolve(ORIGINALS);
        if (Files.isDirectory(originals)) {
            try (var all = Files.list(originals)) {
                for (Path p : (Iterable<Path>) all::iterator) {
                    Files.delete(p);
                }
            }
            Files.delete(originals);
        }
        Files.deleteIfExists(dir.resolve(FILE + ".new"));
        Files.deleteIfExists(dir.resolve(FILE));
        Files.deleteIfExists(dir);
        exists = false;
    }

    private void put(Item item) {
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).path().equals(item.path())) {
                items.set(i, item);
                return;
            }
        }
        items.add(item);
    }

    private String nextOriginalName() {
        int n = 1;
        for (Item i : items) {
            if (i.original() != null) {
                n = Math.max(n, Integer.parseInt(i.original()) + 1);
            }
        }
        return Integer.toString(n);
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JVM has SHA-256
        }
    }
}
