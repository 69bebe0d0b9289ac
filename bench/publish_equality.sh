#!/bin/bash
# Same bytes as main: publish copies of one bench folder with main's code and with this checkout's, step by step
# (first publish, a withdrawal + urgent story + two acks, time passing, a pack leaving and coming back), and
# compare outputs/ (diff -r, every file but the manifest, whose fingerprints hold the code's digest; its file
# digests and feed states are compared) and the queue_entries rows after each step.
#
#   git archive main | tar -x -C /tmp/main-code
#   bench/publish_equality.sh /tmp/pf100 w100 /tmp/main-code     # a folder kept by bench.publish_fanout --keep
#
# This checkout runs through bench/forked_cli.py, which forks the publish helpers at any size (a 100-ward
# folder is below their 400 wards): the helper path is the one compared. HELPERS=0 runs plain `loa`.
set -e
SRC=$1; NAME=$2; MAIN_CODE=$3
HERE=$(cd "$(dirname "$0")/.." && pwd)
PY=$HERE/.venv/bin/python
MAIN="env PYTHONPATH=$MAIN_CODE $PY $MAIN_CODE/cli.py --config sources.yaml"
MINE="$PY $HERE/bench/forked_cli.py --config sources.yaml"
[ "${HELPERS:-1}" = 0 ] && MINE="$HERE/.venv/bin/loa --config sources.yaml"
for side in main mine; do
  D=/tmp/eq-$NAME-$side; rm -rf "$D"; cp -a "$SRC" "$D"
  rm -rf "$D/outputs"; sqlite3 "$D/loa.db" "delete from queue_entries; update packs set status='built';"
done
run() { # side, now, label
  D=/tmp/eq-$NAME-$1; CMD=$MAIN; [ "$1" = mine ] && CMD=$MINE
  (cd "$D" && LOA_NOW=$2 $CMD publish --json > "/tmp/eq-$NAME-$1-$3.json")
}
step() { # label, now
  run main "$2" "$1"; run mine "$2" "$1"
  echo "== $1 ($2)"
  diff -r -q -x .loa-publish.json "/tmp/eq-$NAME-main/outputs" "/tmp/eq-$NAME-mine/outputs" \
    && echo "outputs identical: $(find "/tmp/eq-$NAME-mine/outputs" -type f ! -name .loa-publish.json | wc -l) files"
  "$PY" -c "
import json
a, b = (json.load(open('/tmp/eq-$NAME-' + s + '/outputs/.loa-publish.json')) for s in ('main', 'mine'))
print('manifest files', 'identical' if a['files'] == b['files'] else 'DIFFER', len(b['files']), '| feeds', 'identical' if a['feeds'] == b['feeds'] else 'DIFFER')"
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
