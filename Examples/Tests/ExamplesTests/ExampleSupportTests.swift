import Foundation
import Testing
@testable import ExampleSupport

@Suite struct ExampleSupportTests {
    @Test func flags() throws {
        let options = try ExampleOptions.parse(["prog", "--small", "--out", try temporaryOutputDirectory("flags") + "/a/b"])
        #expect(options.small)
        #expect(FileManager.default.fileExists(atPath: options.outputDirectory))
        #expect(throws: (any Error).self) { try ExampleOptions.parse(["prog", "--smal"]) }
        #expect(throws: (any Error).self) { try ExampleOptions.parse(["prog", "--out"]) }
    }

    @Test func pngFiles() throws {
        let out = try temporaryOutputDirectory("png")
        try writePNG(gray: [0, 0.5, 1, 2, -1, .nan], width: 3, height: 2, to: out + "/gray.png")
        try writePNG(rgb: [Float](repeating: 0.25, count: 2 * 5 * 3), width: 2, height: 5, to: out + "/sub/rgb.png")
        #expect(try pngSize(out + "/gray.png") == (3, 2))
        #expect(try pngSize(out + "/sub/rgb.png") == (2, 5))
        // Bad input and libpng's own failures are thrown errors naming the path, never a crash.
        let wrongCount = #expect(throws: (any Error).self) { try writePNG(gray: [0, 1], width: 3, height: 2, to: out + "/x.png") }
        #expect("\(wrongCount!)".contains("x.png"))
        try Data().write(to: URL(fileURLWithPath: out + "/file"))
        let unwritable = #expect(throws: (any Error).self) { try writePNG(gray: [0], width: 1, height: 1, to: out + "/file/y.png") }
        #expect("\(unwritable!)".contains("file/y.png"))
    }

    @Test func grid() {
        let grid = imageGrid([[1, 1, 1, 1], [0.5, 0.5, 0.5, 0.5], [0, 0, 0, 0]], width: 2, height: 2, columns: 2)
        #expect((grid.width, grid.height) == (5, 5))
        #expect(grid.pixels[0..<5] == [1, 1, 1, 0.5, 0.5])      // tiles 0 and 1, the white gap between
        #expect(grid.pixels[15..<20] == [0, 0, 1, 0, 0])       // tile 2, then an empty (black) tile
    }

    @Test func mean() {
        #expect(meanImage([1, 2, 3, 3, 4, 8], count: 2) == [2, 3, 5.5])
        #expect(meanImage([], count: 0) == [])
    }

    @Test func heat() {
        #expect(heatMap([2, 4, 6]) == [0, 0, 0, 1, 0.5, 0, 1, 1, 1])   // black, orange, white
        #expect(heatMap([3, 3]) == [0, 0, 0, 0, 0, 0])
    }
}
