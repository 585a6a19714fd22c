# usage: python3 forks.py OUT: per tree, the median iteration of each fork (sorted), their median and
# lower quartile (forks.sh's output; a fork's iterations agree closely, forks differ).
import collections, glob, json, statistics, sys
forks = collections.defaultdict(list)
for f in glob.glob(sys.argv[1] + '/*-*.json'):
    tree = f.split('/')[-1].rsplit('-', 1)[0]
    forks[tree].append(statistics.median(json.load(open(f))[0]['primaryMetric']['rawData'][0]))
for tree, v in sorted(forks.items()):
    v.sort()
    print(f"{tree:10s} " + " ".join(f"{x:.2f}" for x in v)
          + f"  median {statistics.median(v):.3f}  q25 {v[len(v) // 4]:.3f} ns/op")
