#!/usr/bin/env python3
"""Decode a TensorBoard events file with nothing but the Python standard library.

A second decoder for tests/core/test_ppo_tboard.c, written from the format description alone
(TFRecord framing with masked CRC-32C, Event and Summary protobuf fields), sharing no code with
core/ppo_tboard.c. It checks both CRCs of every record and prints one line per record:

    version <TAB> wall_time <TAB> file_version
    scalar <TAB> step <TAB> wall_time <TAB> tag <TAB> value      (one line per Value)

Numbers are printed with repr(), which C's strtod reads back bit for bit. A damaged record exits
with status 1 and a message naming its byte offset; a truncated last record ends the file. What
it leaves out: every summary kind but simple_value.
"""
import struct
import sys


def crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


TABLE = crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc = TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf, pos):
    value, shift = 0, 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def fields(buf):
    """Yield (field number, wire type, value) for a serialized message."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            size, pos = varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError("wire type %d" % wire)
        if pos > len(buf):
            raise ValueError("field runs past the end")
        yield number, wire, value


def signed64(value):
    return value - (1 << 64) if value >= 1 << 63 else value


def print_event(payload):
    wall_time, step, version, summaries = 0.0, 0, None, []
    for number, wire, value in fields(payload):
        if number == 1 and wire == 1:
            wall_time = struct.unpack("<d", value)[0]
        elif number == 2 and wire == 0:
            step = signed64(value)
        elif number == 3 and wire == 2:
            version = value.decode("utf-8")
        elif number == 5 and wire == 2:
            summaries.append(value)
    if version is not None:
        print("version\t%r\t%s" % (wall_time, version))
    for summary in summaries:
        for number, wire, value in fields(summary):
            if number != 1 or wire != 2:
                continue
            tag, simple = "", None
            for vnumber, vwire, vvalue in fields(value):
                if vnumber == 1 and vwire == 2:
                    tag = vvalue.decode("utf-8")
                elif vnumber == 2 and vwire == 5:
                    simple = struct.unpack("<f", vvalue)[0]
            if simple is not None:
                print("scalar\t%d\t%r\t%s\t%r" % (step, wall_time, tag, simple))


def main(path):
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        if len(data) - pos < 12:
            break
        head = data[pos:pos + 8]
        if struct.unpack("<I", data[pos + 8:pos + 12])[0] != masked(head):
            sys.exit("%s: record at byte %d: length CRC mismatch" % (path, pos))
        size = struct.unpack("<Q", head)[0]
        if len(data) - pos - 16 < size:
            break
        payload = data[pos + 12:pos + 12 + size]
        crc = struct.unpack("<I", data[pos + 12 + size:pos + 16 + size])[0]
        if crc != masked(payload):
            sys.exit("%s: record at byte %d: data CRC mismatch" % (path, pos))
        try:
            print_event(payload)
        except (ValueError, IndexError, struct.error, UnicodeDecodeError) as e:
            sys.exit("%s: record at byte %d: bad Event: %s" % (path, pos, e))
        pos += size + 16


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: tfevents_read.py EVENTS_FILE")
    main(sys.argv[1])
