#!/usr/bin/env bash
# Writes the model-file seeds of the fuzz corpus: every model kind trained on a tiny dataset,
# stored as its payload (the file without its 20-byte header and 4-byte checksum), which the
# harness frames again so that mutations reach the decoder. BIN: the rectrain binary.
set -euo pipefail
cd "$(dirname "$0")"
BIN=${BIN:-../.build/release/rectrain}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
printf 'user,item,rating,timestamp\n' > "$work/r.csv"
for u in 1 2 3 4 5 6; do for i in 1 2 3 4 5; do
  [ $(( (u * 7 + i * 3) % 4 )) -ne 0 ] && printf 'u%s,t%s,%s,%s\n' $u $i $(( (u + i) % 5 + 1 )) $(( u * 100 + i )) >> "$work/r.csv"
done; done
printf 'item,title,genres\nt1,One,Comedy\nt2,Two,Comedy|Drama\nt3,Three,Drama\nt4,Four,Horror\nt5,Five,\n' > "$work/items.csv"
mkdir -p corpus/model
for m in popular itemknn userknn content svd nmf als ease session hybrid als-explicit; do
  "$BIN" train --data "$work/r.csv" --items "$work/items.csv" --model $m --factors 2 --output "$work/$m.rec" --quiet 2>/dev/null \
    || "$BIN" train --data "$work/r.csv" --items "$work/items.csv" --model $m --output "$work/$m.rec" --quiet
  python3 -c "import sys; b=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(b[20:-4])" "$work/$m.rec" "corpus/model/$m"
done
ls corpus/model
