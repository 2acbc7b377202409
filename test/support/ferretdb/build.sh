#!/usr/bin/env bash
# Builds the FerretDB stand-in into OUT (start.sh calls this when the binary is missing or stale).
#   test/support/ferretdb/build.sh OUT
# FerretDB v1.24.2 with one line changed. Its SQLite backend indexes `_id` as
# `_ferretdb_sjson->"_id"` but looks documents up by `_ferretdb_sjson->'$._id'`, an expression
# SQLite does not match to that index: every find, update and delete by `_id` scanned the whole
# collection (an update by `_id` took 1.4 ms at 10 documents and 21 ms at 8,000). The patch looks
# them up by the indexed expression, as a MongoDB does: 1.2-1.7 ms at any size. The module comes
# from the Go module proxy (go.mod pins the version and go.sum its hash), is copied next to the
# binary, patched there, and used through a copy of go.mod with a `replace`.
set -euo pipefail

OUT="$1"
SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(dirname "$OUT")/build"
MODULE=github.com/FerretDB/FerretDB
VERSION="$(awk -v m="$MODULE" '$1 == "require" && $2 == m { print $3 } $1 == m { print $2 }' "$SRC_DIR/go.mod" | head -1)"
FILE=internal/backends/sqlite/metadata/metadata.go
FROM="IDColumn = DefaultColumn + \"->'\$._id'\""
TO='IDColumn = DefaultColumn + `->"_id"`'

cd "$SRC_DIR"
export GOFLAGS="${GOFLAGS:-} -mod=mod"
dir="$(go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$dir" ] || { echo "build.sh: could not download $MODULE@$VERSION" >&2; exit 1; }

rm -rf "$WORK"
mkdir -p "$WORK"
cp -R "$dir" "$WORK/ferretdb"
chmod -R u+w "$WORK/ferretdb"
grep -qF "$FROM" "$WORK/ferretdb/$FILE" || { echo "build.sh: $FILE of $MODULE@$VERSION is not as expected; not patched" >&2; exit 1; }
sed -i "s|$(printf '%s' "$FROM" | sed 's/[$.*[\|]/\\&/g')|$TO|" "$WORK/ferretdb/$FILE"
grep -qF "$TO" "$WORK/ferretdb/$FILE" || { echo "build.sh: patching $FILE failed" >&2; exit 1; }

cp go.mod "$WORK/go.mod"
cp go.sum "$WORK/go.sum"
echo "replace $MODULE => $WORK/ferretdb" >>"$WORK/go.mod"
go build -modfile "$WORK/go.mod" -trimpath -o "$OUT.tmp" .
mv -f "$OUT.tmp" "$OUT"
