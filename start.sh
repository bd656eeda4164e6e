#!/usr/bin/env bash
# Starts ashmemd in the foreground from a source checkout, building it first when needed.
# Arguments go to ashmemd (see ./start.sh --help). Needs root and the cuse module.
set -euo pipefail
cd "$(dirname "$0")"
if [[ ! -x target/dist/bin/ashmemd || -n "$(find src pom.xml -newer target/dist/lib/ashmemd.jar -print -quit 2>/dev/null)" ]]; then
    command -v mvn >/dev/null || { echo "start.sh: Maven is needed to build (apt-get install maven openjdk-17-jdk-headless)" >&2; exit 1; }
    mvn -B -q -ntp package -DskipTests
fi
exec target/dist/bin/ashmemd "$@"
