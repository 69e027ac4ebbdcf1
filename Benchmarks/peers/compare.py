"""Prints the peer table: per workload each peer's median step (and fastest step), Kiln's, and
Kiln / best peer of the medians."""
import json
import sys

PEERS = ["torch eager", "torch.compile", "jax.jit"]


def main(kiln_json, *peer_files):
    kiln = {r["name"]: (r["compiledMedianMs"], r["compiledMinMs"]) for r in json.load(open(kiln_json))}
    peers = {}
    for path in peer_files:
        for line in open(path):
            if line.startswith("{"):
                r = json.loads(line)
                peers[(r["workload"], r["peer"])] = (r["median_ms"], r["min_ms"])

    def one(v):
        return f"{v:.3f}" if v < 10 else f"{v:.1f}"

    def ms(pair):
        return "-" if pair is None else f"{one(pair[0])} ({one(pair[1])}) ms"

    print("median (fastest) step per workload")
    print("| workload | " + " | ".join(PEERS) + " | best peer | Kiln | Kiln / best peer |")
    print("|---" * (len(PEERS) + 4) + "|")
    for name, mine in kiln.items():
        times = {p: peers.get((name, p)) for p in PEERS}
        known = {p: t[0] for p, t in times.items() if t is not None}
        best = min(known, key=known.get) if known else None
        ratio = f"{mine[0] / known[best]:.2f}" if best else "-"
        print(f"| {name} | " + " | ".join(ms(times[p]) for p in PEERS) +
              f" | {best or '-'} | {ms(mine)} | {ratio} |")


if __name__ == "__main__":
    main(*sys.argv[1:])
