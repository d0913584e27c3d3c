#!/usr/bin/env python3
"""Checks a durability run (durability.sh): exactly-once, in-order delivery of what was stored.

  durability_check.py --uac UAC.short.log --queue QUEUE.tsv --devices-log DEVICES.msgs.log \
                      --devices AOR=DEV[,DEV...] ...

Inputs: the load's SIPp short message log (which calls got a 202), the queue as it was before
anybody registered (recipient, id, message_id, body; in id order), the devices' SIPp message log
(every MESSAGE they received, retransmissions included) and which Contact users (devices) each
recipient registered. A message is known by the token "text=dur-U<n>" in its text (the load's
Call-ID), which the delivery carries inside its CPIM wrapper.

Fails (exit 1) when a message answered 202 is not in the queue or not delivered to every device
of its recipient, when any message is delivered twice to a device (two deliveries = two Call-IDs;
a retransmission keeps its Call-ID and is not one), when a device gets the queue out of order,
when a message reaches a device of another recipient, or when something delivered was never
queued. Prints the figures either way.
"""

import argparse
import collections
import re
import sys

TOKEN = re.compile(r"text=(dur-U\d+)")


def read_uac(path):
    """(calls sent, calls answered 202) by Call-ID, from SIPp's -trace_shortmsg log."""
    sent, answered = set(), set()
    with open(path, errors="replace") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 7:
                continue
            if p[3] == "S" and p[6].startswith("MESSAGE "):
                sent.add(p[4])
            elif p[3] == "R" and p[6].startswith("SIP/2.0 202"):
                answered.add(p[4])
    return sent, answered


def read_queue(path):
    """recipient -> [token in id order]; and token -> recipient."""
    queue = collections.defaultdict(list)
    owner = {}
    dup = []
    with open(path, errors="replace") as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 4:
                continue
            m = TOKEN.search(p[3])
            if not m:
                raise SystemExit("queue row without a token: %r" % line)
            tok = m.group(1)
            if tok in owner:
                dup.append(tok)
            owner[tok] = p[0]
            queue[p[0]].append(tok)
    return queue, owner, dup


def read_devices(path):
    """device -> [(call_id, token)] in arrival order, one per received MESSAGE (retransmissions too)."""
    got = collections.defaultdict(list)
    with open(path, errors="replace") as f:
        text = f.read()
    for block in re.split(r"^-{10,} .*$", text, flags=re.M):
        head, _, rest = block.partition("\n\n")
        if "message received" not in head:
            continue
        msg = rest.lstrip("\n")
        first = msg.split("\n", 1)[0]
        m = re.match(r"MESSAGE sip:([^@;>]+)@", first)
        if not m:
            continue
        cid = re.search(r"^(?:Call-ID|i):\s*(\S+)", msg, flags=re.M | re.I)
        tok = TOKEN.search(msg)
        got[m.group(1)].append((cid.group(1) if cid else "?", tok.group(1) if tok else None))
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uac", required=True)
    ap.add_argument("--queue", required=True)
    ap.add_argument("--devices-log", required=True)
    ap.add_argument("--devices", nargs="+", required=True, help="AOR=DEV[,DEV...]")
    a = ap.parse_args()

    sent, answered = read_uac(a.uac)
    queue, owner, queue_dups = read_queue(a.queue)
    received = read_devices(a.devices_log)
    devices = {}
    for spec in a.devices:
        aor, _, devs = spec.partition("=")
        devices[aor] = devs.split(",")
    device_owner = {d: aor for aor, ds in devices.items() for d in ds}

    errors = []
    queued = set(owner)
    lost = sorted(answered - queued)
    if lost:
        errors.append("%d answered 202 but not in the queue (lost): %s" % (len(lost), " ".join(lost[:10])))
    if queue_dups:
        errors.append("%d stored twice: %s" % (len(queue_dups), " ".join(queue_dups[:10])))
    unknown = sorted(queued - sent)
    if unknown:
        errors.append("%d queued but never sent: %s" % (len(unknown), " ".join(unknown[:10])))

    print("sent %d, answered 202 %d, not answered %d; queued before registration %d "
          "(of them not answered: %d)" % (len(sent), len(answered), len(sent - answered), len(queued),
                                         len(queued - answered)))
    total_deliveries = total_retrans = 0
    for dev in sorted(set(received) | set(device_owner)):
        aor = device_owner.get(dev)
        if aor is None:
            errors.append("MESSAGEs reached an unknown device %s" % dev)
            continue
        seen_cids = set()
        order = []  # one token per delivery (distinct Call-ID), in arrival order
        retrans = 0
        for cid, tok in received.get(dev, []):
            if cid in seen_cids:
                retrans += 1
                continue
            seen_cids.add(cid)
            order.append(tok)
        counts = collections.Counter(order)
        dups = sorted(t for t, n in counts.items() if n > 1)
        expected = queue.get(aor, [])
        missing = [t for t in expected if t not in counts]
        missing_answered = [t for t in missing if t in answered]
        foreign = sorted(t for t in counts if t is None or owner.get(t) != aor)
        # In order: the first delivery of each message follows the queue's id order.
        firsts = list(dict.fromkeys(t for t in order if t is not None and owner.get(t) == aor))
        in_order = firsts == [t for t in expected if t in counts]
        ans = sum(1 for t in expected if t in answered)
        print("  %-16s device %-4s: queued %5d (answered %5d), deliveries %5d, distinct %5d, duplicates %d, "
              "missing %d (answered %d), retransmissions %d, in order: %s"
              % (aor, dev, len(expected), ans, len(order), len(counts), len(dups), len(missing),
                 len(missing_answered), retrans, "yes" if in_order else "NO"))
        total_deliveries += len(order)
        total_retrans += retrans
        if dups:
            errors.append("%s: %d delivered more than once: %s" % (dev, len(dups), " ".join(dups[:10])))
        if missing:
            errors.append("%s: %d queued but not delivered (%d of them answered 202): %s"
                          % (dev, len(missing), len(missing_answered), " ".join(missing[:10])))
        if foreign:
            errors.append("%s: %d delivered that were not queued for %s: %s"
                          % (dev, len(foreign), aor, " ".join(str(t) for t in foreign[:10])))
        if not in_order:
            errors.append("%s: deliveries out of the queue's order" % dev)
    print("deliveries %d, retransmissions %d" % (total_deliveries, total_retrans))
    if errors:
        for e in errors:
            print("FAIL: " + e)
        return 1
    print("ok: every message answered 202 was queued and delivered exactly once to every device of its "
          "recipient, in order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
