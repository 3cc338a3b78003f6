#!/usr/bin/env bash
# Usage: local/scripts/check-doc-citations.sh
#
# Every test README.md and docs/*.md cite exists: lists the tests of every target
# (`cargo test --workspace --all-targets -- --list`, the build `make test` just made: no
# rebuild, no emulator) and hands that list to the e2e binary's citation check
# (`architecture::the_docs_cite_tests_that_exist`). A cited test is its path as
# listed: `file::function` in the e2e binary, `binary::function` in a binary of its own
# (`log_capture::…`), `module::path::tests::function` for a unit test of the library;
# any other citation must name an item of the library outside its tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
list="$(mktemp "${TMPDIR:-/tmp}/gatehouse-tests.XXXXXX")"
trap 'rm -f "$list"' EXIT
if ! cargo test --workspace --all-targets -- --list >"$list" 2>&1; then
  cat "$list" >&2
  exit 1
fi
# The e2e binary, as cargo ran it: `Running tests/e2e/main.rs (<path>)`.
e2e="$(sed -n 's/^ *Running tests\/e2e\/main\.rs (\(.*\))$/\1/p' "$list")"
if [ -z "$e2e" ]; then
  echo "check-doc-citations: the e2e binary is not in the test list" >&2
  exit 1
fi
GATEHOUSE_TEST_LIST="$list" "$e2e" --ignored --exact architecture::the_docs_cite_tests_that_exist
