#!/bin/bash
# Same bytes as main: publish copies of one bench folder with main's code and with this checkout's, step by step
# (first publish, a withdrawal + urgent story + two acks, time passing, a pack leaving and coming back), and
# compare outputs/ (diff -r, manifest excluded) and the queue_entries rows after each step.
#
#   git archive main | tar -x -C /tmp/main-code
#   bench/publish_equality.sh /tmp/pf100 w100 /tmp/main-code     # a folder kept by bench.publish_fanout --keep
#
# Intended differences from a main without them: queue.json is an index of one YYYY-MM-DD.json per day (main's
# entries, their scripts taken out, are compared with the union of the day files), and index.html prints
# `broadcast.print_days`: PRINT_DAYS=0 (the default here) gives this checkout print_days 0 (every slot, as main),
# so index.html is compared byte for byte; PRINT_DAYS=2 leaves index.html out.
set -e
SRC=$1; NAME=$2; MAIN_CODE=$3; PRINT_DAYS=${PRINT_DAYS:-0}
HERE=$(cd "$(dirname "$0")/.." && pwd)
PY=$HERE/.venv/bin/python
MAIN="env PYTHONPATH=$MAIN_CODE $PY $MAIN_CODE/cli.py --config sources.yaml"
MINE="$HERE/.venv/bin/loa --config sources.yaml"
for side in main mine; do
  D=/tmp/eq-$NAME-$side; rm -rf "$D"; cp -a "$SRC" "$D"
  rm -rf "$D/outputs"; sqlite3 "$D/loa.db" "delete from queue_entries; update packs set status='built';"
done
"$HERE/.venv/bin/python" - "/tmp/eq-$NAME-mine/sources.yaml" "$PRINT_DAYS" <<'PY'
import sys, yaml
path, days = sys.argv[1], int(sys.argv[2])
data = yaml.safe_load(open(path, encoding="utf-8"))
data.setdefault("broadcast", {})["print_days"] = days
open(path, "w", encoding="utf-8").write(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
PY
SKIP_INDEX=(); [ "$PRINT_DAYS" != 0 ] && SKIP_INDEX=(-x index.html)
run() { # side, now, label
  D=/tmp/eq-$NAME-$1; CMD=$MAIN; [ "$1" = mine ] && CMD=$MINE
  (cd "$D" && LOA_NOW=$2 $CMD publish --json > "/tmp/eq-$NAME-$1-$3.json")
}
step() { # label, now
  run main "$2" "$1"; run mine "$2" "$1"
  echo "== $1 ($2)"
  diff -r -q -x .loa-publish.json -x queue.json -x '????-??-??.json' "${SKIP_INDEX[@]}" "/tmp/eq-$NAME-main/outputs" "/tmp/eq-$NAME-mine/outputs" \
    && echo "outputs identical: $(find "/tmp/eq-$NAME-mine/outputs" -type f ! -name .loa-publish.json | wc -l) files"
  "$PY" - "/tmp/eq-$NAME-main/outputs/queues" "/tmp/eq-$NAME-mine/outputs/queues" <<'PY'
import json, pathlib, sys
main, mine = map(pathlib.Path, sys.argv[1:])
names = sorted(p.parent.name for p in main.glob("*/queue.json"))
assert names == sorted(p.parent.name for p in mine.glob("*/queue.json")), "queue.json: different wards"
days = 0
for name in names:
    data = json.loads((main / name / "queue.json").read_text(encoding="utf-8"))
    for entry in data["entries"]:
        del entry["script"]
    index = json.loads((mine / name / "queue.json").read_text(encoding="utf-8"))
    assert index["ward"] == name
    on_disk = sorted(p.name for p in (mine / name).glob("????-??-??.json"))
    assert on_disk == [d["href"] for d in index["days"]], f"day files and queue.json disagree: {name}"
    union = []
    for day in index["days"]:
        listed = json.loads((mine / name / day["href"]).read_text(encoding="utf-8"))
        assert (listed["ward"], listed["date"]) == (name, day["date"]), f"{name}/{day['href']}"
        assert day["entries"] == len(listed["entries"]) and day["seconds"] == sum(e["seconds"] for e in listed["entries"])
        union += listed["entries"]
        days += 1
    assert union == data["entries"], f"day files differ from main's queue.json beyond its scripts: {name}"
print(f"main's queue.json (without scripts) = the union of the day files: {len(names)} wards, {days} day files")
PY
  for side in main mine; do
    sqlite3 "/tmp/eq-$NAME-$side/loa.db" "select id, ward, date, slot, position, priority, story, pack, title, script,
      seconds, repeat, status, aired_at, reason from queue_entries order by id" | sha256sum | sed "s/-$/rows ($side)/"
  done
  "$PY" -c "
import json
for side in ('main', 'mine'):
    d = json.load(open('/tmp/eq-$NAME-' + side + '-$1.json'))
    print(side, 'written', len(d['written']), 'removed', len(d['removed']), d['queues'])"
}
step first 2026-12-01T05:00:00+07:00
for side in main mine; do
  D=/tmp/eq-$NAME-$side
  ONE="select min(i.id) from items i join pack_stories p on p.story_id = i.story_id where i.status = 'approved'
       group by i.story_id having count(*) = 1 order by 1 limit 1"
  (cd "$D" && LOA_NOW=2026-12-01T05:00:00+07:00 $MINE withdraw "$(sqlite3 "$D/loa.db" "$ONE offset 3")" --reason eq > /dev/null)
  sqlite3 "$D/loa.db" "update items set priority = 'khan-cap' where id = '$(sqlite3 "$D/loa.db" "$ONE offset 7")'"
  W=$(sqlite3 "$D/loa.db" "select ward from queue_entries order by ward limit 1")
  sqlite3 "$D/loa.db" "update queue_entries set status = 'aired', aired_at = '2026-11-30T23:10:00Z', acked_by = 'desk'
    where id = (select id from queue_entries where ward = '$W' and date = '2026-12-01' order by slot, position limit 1);
    update queue_entries set status = 'skipped', reason = 'mất điện', acked_by = 'desk'
    where id = (select id from queue_entries where ward = '$W' and date = '2026-12-02' order by slot, position limit 1);"
done
step second 2026-12-01T12:00:00+07:00
step third 2026-12-02T05:30:00+07:00
for side in main mine; do
  sqlite3 "/tmp/eq-$NAME-$side/loa.db" "create table saved_ps as select * from pack_stories where pack_id = (select max(id) from packs);
    create table saved_p as select * from packs where id = (select max(id) from packs);
    delete from pack_stories where pack_id = (select id from saved_p); delete from packs where id = (select id from saved_p);"
done
step fourth 2026-12-02T07:00:00+07:00
for side in main mine; do
  sqlite3 "/tmp/eq-$NAME-$side/loa.db" "insert into packs select * from saved_p; insert into pack_stories select * from saved_ps;"
done
step fifth 2026-12-02T08:00:00+07:00
step sixth 2026-12-02T08:05:00+07:00
