"""Writes hostile scripts to stdout for the lit tests (too big or too regular to commit).

usage: gen_hostile.py KIND    KIND: code10mb | comments10mb | longline10mb | letchain | inline | inline_deep |
                                     negchain | ifchain | invalid_utf8
"""
import sys

MB10 = 10 * 1024 * 1024
LAYER = "layer l(dims D = 4) {\n  in x: [D]\n  out y: [D] = x\n}\n"


def main(kind):
    out = sys.stdout
    if kind == "code10mb":  # 10 MB of function definitions: about 4.5 million tokens
        n, i = 0, 0
        while n < MB10:
            line = "fn f%d(a, b) = a * %d.5 + b / (a - 1.25) * exp(-a)\n" % (i, i)
            out.write(line)
            n, i = n + len(line), i + 1
        out.write(LAYER)
    elif kind == "comments10mb":  # 10 MB of comments around one small layer: compiles
        block = "// " + "comment " * 12 + "\n/* " + "block comment\n" * 8 + "*/\n"
        out.write(block * (MB10 // len(block) + 1))
        out.write(LAYER)
    elif kind == "longline10mb":  # one 10 MB line, an error at its end
        out.write("layer l(dims D = 4) {" + " " * MB10 + "in x: [D] out y: [D] = x + nope }\n")
    elif kind == "letchain":  # each let uses the previous one: 1200 operations deep
        out.write("layer l(dims D = 4) {\n  in x: [D]\n  let v0 = x\n")
        for i in range(1, 1201):
            out.write("  let v%d = v%d * 0.5\n" % (i, i - 1))
        out.write("  out y: [D] = v1200\n}\n")
    elif kind == "inline":  # f(k) adds two calls of f(k-1): 2^40 operations, 41 deep
        out.write("fn f0(a) = a * 2\n")
        for i in range(1, 41):
            out.write("fn f%d(a) = f%d(a) + f%d(a)\n" % (i, i - 1, i - 1))
        out.write("layer l(dims D = 4) {\n  in x: [D]\n  out y: [D] = f40(x)\n}\n")
    elif kind == "inline_deep":  # f(k) calls f(k-1) on f(k-1): 2^40 operations deep
        out.write("fn f0(a) = a * 2\n")
        for i in range(1, 41):
            out.write("fn f%d(a) = f%d(f%d(a))\n" % (i, i - 1, i - 1))
        out.write("layer l(dims D = 4) {\n  in x: [D]\n  out y: [D] = f40(x)\n}\n")
    elif kind == "negchain":  # 100,000 prefix minus signs
        out.write("layer l(dims D = 4) {\n  in x: [D]\n  out y: [D] = " + "-" * 100000 + "x\n}\n")
    elif kind == "ifchain":  # 100,000 nested if/else
        out.write("layer l(dims D = 4) {\n  in x: [D]\n  out y: [D] = " +
                  "if x < 0 then x else " * 100000 + "x\n}\n")
    elif kind == "invalid_utf8":  # bytes that are not UTF-8, in a comment and in code
        out.flush()
        sys.stdout.buffer.write(b"// \xff\xfe in a comment is fine\nlayer l(dims D = 4) {\n"
                                b"  in x: [D]\n  out y: [D] = x \xc3\x28 x\n}\n")
    else:
        sys.exit("unknown kind " + kind)


if __name__ == "__main__":
    main(sys.argv[1])
