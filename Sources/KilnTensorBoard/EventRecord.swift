/// TFRecord framing of one serialized event: the data's length (UInt64, little-endian), the
/// masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data.
func eventRecord(_ data: [UInt8]) -> [UInt8] {
    let length = littleEndianBytes(UInt64(data.count))
    return length + littleEndianBytes(CRC32C.masked(length)) + data + littleEndianBytes(CRC32C.masked(data))
}

private func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian, Array.init)
}
