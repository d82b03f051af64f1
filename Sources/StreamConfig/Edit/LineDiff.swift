/// A shortest edit script between two sequences of line ids: Myers' O(ND) algorithm in its
/// linear-space form (bisect at the middle snake, recurse on both halves), after trimming the
/// common prefix and suffix, so one change in a 10,000-line file costs a linear scan.
enum LineDiff {
    enum Step: Equatable {
        case equal, delete, insert
    }

    /// Steps that turn `old` into `new`: `equal` consumes a line of each, `delete` one of `old`,
    /// `insert` one of `new`.
    static func steps(_ old: [Int], _ new: [Int]) -> [Step] {
        var steps: [Step] = []
        steps.reserveCapacity(max(old.count, new.count))
        diff(old, 0..<old.count, new, 0..<new.count, into: &steps)
        return steps
    }

    private static func diff(_ a: [Int], _ aRange: Range<Int>, _ b: [Int], _ bRange: Range<Int>, into steps: inout [Step]) {
        var aLow = aRange.lowerBound, aHigh = aRange.upperBound
        var bLow = bRange.lowerBound, bHigh = bRange.upperBound
        var prefix = 0
        while aLow < aHigh, bLow < bHigh, a[aLow] == b[bLow] { aLow += 1; bLow += 1; prefix += 1 }
        var suffix = 0
        while aLow < aHigh, bLow < bHigh, a[aHigh - 1] == b[bHigh - 1] { aHigh -= 1; bHigh -= 1; suffix += 1 }

        steps.append(contentsOf: repeatElement(.equal, count: prefix))
        if aLow == aHigh {
            steps.append(contentsOf: repeatElement(.insert, count: bHigh - bLow))
        } else if bLow == bHigh {
            steps.append(contentsOf: repeatElement(.delete, count: aHigh - aLow))
        } else if let (x, y) = middleSnake(a, aLow..<aHigh, b, bLow..<bHigh),
                  (x, y) != (aLow, bLow), (x, y) != (aHigh, bHigh) {
            diff(a, aLow..<x, b, bLow..<y, into: &steps)
            diff(a, x..<aHigh, b, y..<bHigh, into: &steps)
        } else {
            steps.append(contentsOf: repeatElement(.delete, count: aHigh - aLow))
            steps.append(contentsOf: repeatElement(.insert, count: bHigh - bLow))
        }
        steps.append(contentsOf: repeatElement(.equal, count: suffix))
    }

    /// A point (absolute indices into `a` and `b`) on some shortest edit path, found by running
    /// the forward and backward searches until they overlap (Myers 1986, section 4b; this is
    /// the formulation used by diff-match-patch's `bisect`).
    private static func middleSnake(_ a: [Int], _ aRange: Range<Int>, _ b: [Int], _ bRange: Range<Int>) -> (Int, Int)? {
        let n = aRange.count, m = bRange.count
        let a0 = aRange.lowerBound, b0 = bRange.lowerBound
        let maxD = (n + m + 1) / 2
        let offset = maxD
        let width = 2 * maxD + 2
        var forward = [Int](repeating: -1, count: width)
        var backward = [Int](repeating: -1, count: width)
        forward[offset + 1] = 0
        backward[offset + 1] = 0
        let delta = n - m
        let checkInForward = delta % 2 != 0
        var forwardStart = 0, forwardEnd = 0, backwardStart = 0, backwardEnd = 0

        for d in 0..<maxD {
            var k = -d + forwardStart
            while k <= d - forwardEnd {
                let index = offset + k
                var x = (k == -d || (k != d && forward[index - 1] < forward[index + 1]))
                    ? forward[index + 1] : forward[index - 1] + 1
                var y = x - k
                while x < n, y < m, a[a0 + x] == b[b0 + y] { x += 1; y += 1 }
                forward[index] = x
                if x > n {
                    forwardEnd += 2
                } else if y > m {
                    forwardStart += 2
                } else if checkInForward {
                    let other = offset + delta - k
                    if other >= 0, other < width, backward[other] != -1, x >= n - backward[other] {
                        return (a0 + x, b0 + y)
                    }
                }
                k += 2
            }
            k = -d + backwardStart
            while k <= d - backwardEnd {
                let index = offset + k
                var x = (k == -d || (k != d && backward[index - 1] < backward[index + 1]))
                    ? backward[index + 1] : backward[index - 1] + 1
                var y = x - k
                while x < n, y < m, a[a0 + n - 1 - x] == b[b0 + m - 1 - y] { x += 1; y += 1 }
                backward[index] = x
                if x > n {
                    backwardEnd += 2
                } else if y > m {
                    backwardStart += 2
                } else if !checkInForward {
                    let other = offset + delta - k
                    if other >= 0, other < width, forward[other] != -1 {
                        let forwardX = forward[other]
                        let forwardY = offset + forwardX - other
                        if forwardX >= n - x { return (a0 + forwardX, b0 + forwardY) }
                    }
                }
                k += 2
            }
        }
        return nil
    }
}
