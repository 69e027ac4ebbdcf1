#if canImport(Glibc)
import Glibc
#endif

/// The integer in environment variable `name`, or `fallback` when it is unset or not an integer.
/// Random tests read their case counts and base seed this way.
public func environmentInt(_ name: String, default fallback: Int) -> Int {
    guard let raw = getenv(name), let value = Int(String(cString: raw)) else { return fallback }
    return value
}
