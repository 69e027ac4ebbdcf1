#!/usr/bin/env python3
"""Prints every scalar of the TensorBoard event files in a log directory, read by TensorBoard's own
code (the `tensorboard` PyPI package), to check what `kiln train --log-dir` writes.

    scripts/tensorboard-scalars.sh runs/NAME            # makes a venv with tensorboard first
    PYTHON=/path/to/python scripts/tensorboard-scalars.sh runs/NAME   # a Python that has it

Each event file is read twice: record by record with TensorBoard's record reader
(`tensorflow_stub.pywrap_tensorflow.PyRecordReader_New`, which checks both CRCs of every record
and raises on a bad one) and `Event` messages parsed by TensorBoard's generated `event_pb2`; and
by `event_accumulator.EventAccumulator`, the loader TensorBoard's scalar dashboard is built on
(which would silently stop at a bad record, hence the first reading). The two must agree on every
scalar, else the script fails. Output, one line per file then one per scalar, by tag, in file
order:

    file <name> records <N> version <file_version>
    <tag> <step> <value as repr of the f32 widened> <f32 bits, hex> <wall_time repr>

Tests/KilnTensorBoardTests checks that its own decoder reproduces this output for the committed
fixture run (Tests/KilnTensorBoardTests/Fixtures/run).
"""
import os
import struct
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.proto import event_pb2
from tensorboard.compat.tensorflow_stub import errors, pywrap_tensorflow


def strict_events(path):
    """Every Event of the file, CRCs checked; a truncated or corrupt record raises."""
    reader = pywrap_tensorflow.PyRecordReader_New(path)
    events = []
    while True:
        try:
            reader.GetNext()
        except errors.OutOfRangeError:
            return events
        event = event_pb2.Event()
        event.ParseFromString(reader.record())
        events.append(event)


def f32_bits(value):
    return struct.unpack("<I", struct.pack("<f", value))[0]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tensorboard_scalars.py LOG_DIR")
    directory = sys.argv[1]
    files = sorted(f for f in os.listdir(directory) if "tfevents" in f)
    if not files:
        sys.exit(f"{directory}: no event files (events.out.tfevents.*)")
    for name in files:
        path = os.path.join(directory, name)
        events = strict_events(path)
        versions = [e.file_version for e in events if e.WhichOneof("what") == "file_version"]
        print(f"file {name} records {len(events)} version {versions[0] if versions else '-'}")
        strict = {}
        for e in events:
            for v in e.summary.value:
                strict.setdefault(v.tag, []).append((e.step, f32_bits(v.simple_value), e.wall_time))
        accumulator = event_accumulator.EventAccumulator(path, size_guidance={event_accumulator.SCALARS: 0})
        accumulator.Reload()
        tags = accumulator.Tags()["scalars"]
        if sorted(tags) != sorted(strict):
            sys.exit(f"{name}: EventAccumulator found tags {sorted(tags)}, the record reader {sorted(strict)}")
        for tag in sorted(tags):
            scalars = accumulator.Scalars(tag)
            seen = [(s.step, f32_bits(s.value), s.wall_time) for s in scalars]
            if seen != strict[tag]:
                sys.exit(f"{name}: {tag}: EventAccumulator read {seen}, the record reader {strict[tag]}")
            for s in scalars:
                print(f"{tag} {s.step} {s.value!r} {f32_bits(s.value):08x} {s.wall_time!r}")


if __name__ == "__main__":
    main()
