import json,glob,statistics,sys
res={}
for f in sorted(glob.glob(sys.argv[1] + '/*-*/tmp/jmh.json')):
    tree=f.split('/')[-3].split('-')[0]
    txt = open(f).read()
    if not txt.strip():
        continue  # a run still in progress
    for b in json.loads(txt):
        name=b['benchmark'].split('.')[-2]+'.'+b['benchmark'].split('.')[-1]+str(b.get('params',{}))
        res.setdefault((name,tree),[]).append(b['primaryMetric']['score'])
for (n,t),v in sorted(res.items()):
    print(f"{n:70s} {t:5s} " + " ".join(f"{x:8.2f}" for x in v) + f"  median {statistics.median(v):8.2f} ns/op")
