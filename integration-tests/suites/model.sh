#!/bin/bash
# it-order: 15
# it-budget: 150
# it-build: model/ashmem-model.c m64 -I/usr/include/fuse3 -lfuse3
# it-build: conformance m64 m32
# The conformance suite against ashmem-model (model/ashmem-model.c), the harness's executable
# model of docs/ashmem-semantics.md over CUSE. It checks the tests, not the daemon: a failure here
# means a test asks for something the documented driver does not do, or CUSE cannot deliver.
export ASHMEMD=$IT_BUILD/m64/model/ashmem-model
exec bash "$IT_REPO/integration-tests/suites/conformance.sh"
