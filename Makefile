# The two commands of the README.
.PHONY: run test lint bench perf openapi access-matrix contract screenshots

# The local stack: emulators, table, demo credentials, gateway on 127.0.0.1:3000.
run:
	bash local/run.sh

# Every test: unit, integration (DynamoDB Local, moto) and end to end (local gateway).
# The binaries are built first: the CLI test runs the real gatehouse-admin. Then every
# test the docs cite must be in the test list (no rebuild, no emulator).
test:
	bash local/scripts/with-emulators.sh bash -c 'cargo build --workspace --bins && cargo test --workspace --all-targets --no-fail-fast'
	bash local/scripts/check-doc-citations.sh

# Regenerates docs/openapi.json from the route table (a test fails when it is stale).
openapi:
	cargo run -q -p gatehouse-local --features openapi --bin gatehouse-openapi

# Rewrites docs/ACCESS-MATRIX.md from the decision-table test (which fails when the
# committed file differs from what the authorizer decides).
access-matrix:
	cd tests && GATEHOUSE_WRITE_MATRIX=1 bash ../local/scripts/with-emulators.sh cargo test -p gatehouse-e2e --test e2e -- app_access::the_access_matrix_holds_cell_by_cell_on_every_event_shape

# The CI gates that need no emulator.
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# schemathesis against docs/openapi.json on a stack of its own (emulators, gateway on
# free ports): server errors and answers the document does not describe fail (< 3 min).
contract:
	bash local/scripts/contract.sh

# Criterion benchmarks (the cache-miss bench uses DynamoDB Local).
bench:
	bash local/scripts/with-emulators.sh cargo bench -p gatehouse-e2e --bench apikey --bench tokens --bench authorizer --bench password

# Regenerates docs/PERFORMANCE.md: release and arm64 builds, criterion, and the Lambda
# Runtime API harness running our functions and the Python peer (15-25 min).
perf:
	bash local/scripts/perf.sh

# The README's pictures of the admin console (docs/img/*.png, at most 200 KB each), taken
# in Chromium against a local stack. Not part of `make test`.
screenshots:
	bash local/scripts/with-emulators.sh cargo test -p gatehouse-e2e --test e2e -- --ignored --exact browser::console_screenshots --nocapture
