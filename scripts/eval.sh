#!/usr/bin/env bash
# make eval: the tagger's checks against the shared labelled corpus, which is
# not part of the repository (its texts must not be copied into it). It reads
# the shared folder beside the repository (../shared) or $TENSION_SHARED:
#   corpus/*.jsonl          labelled articles (dev.jsonl at least)
#   seeds/seed-article.txt  the seed article
# then runs the eval-tagged tests of pkg/tagger and pkg/tageval and prints
# `enricher eval` for every corpus file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SHARED=${TENSION_SHARED:-$PWD/../shared}
missing=()
for f in corpus/dev.jsonl seeds/seed-article.txt; do
	[ -f "$SHARED/$f" ] || missing+=("$SHARED/$f")
done
if ((${#missing[@]})); then
	{
		echo "make eval: needs the shared labelled corpus, which is not part of the repository. Missing:"
		printf '  %s\n' "${missing[@]}"
		echo "Put the shared/ folder beside the repository (../shared) or set TENSION_SHARED=/path/to/shared."
		echo "(make test does not need it.)"
	} >&2
	exit 2
fi
export TENSION_SHARED
TENSION_SHARED=$(cd "$SHARED" && pwd)
GO=${GO:-go}
echo "== eval tests (go test -tags eval) with TENSION_SHARED=$TENSION_SHARED"
(cd pkg && $GO vet -tags eval ./tagger ./tageval ./event && $GO test -tags eval -count=1 ./tagger ./tageval ./event)
mkdir -p bin
(cd services/enricher && $GO build -o ../../bin/enricher .)
for f in "$TENSION_SHARED"/corpus/*.jsonl; do
	echo "== bin/enricher eval $f"
	bin/enricher eval "$f"
done
