#!/usr/bin/env bash
# Runs the JMH microbenchmarks of src/test/java/org/ashmemd/jmh, compiling them first. Arguments
# go to JMH: a regex picks benchmarks, -h lists its options, e.g.
#   nice -n 19 scripts/jmh.sh                                    # all, with the classes' defaults
#   nice -n 19 scripts/jmh.sh TokenTable -f 1 -wi 2 -w 1s -i 3 -r 1s
# No kernel CUSE, no root: only the Java code between a frame read and a reply written.
set -euo pipefail
cd "$(dirname "$0")/.."
# test-compile also writes target/test-classpath.txt (the dependency plugin, see pom.xml)
mvn -B -q -ntp test-compile
exec java -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" org.openjdk.jmh.Main "$@"
