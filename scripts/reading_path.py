#!/usr/bin/env python3
"""How far each attention family's formula is from its code: docs/attention.md's reading-path table.

    python3 scripts/reading_path.py            # prints the Markdown table

A reader opens the family's header (its formula is in the opening comment) and follows the calls,
fused kernels off, until score -> softmax -> weighted sum appear one after another as code. Each
function entered on the way is a hop. Lines: the whole header plus every function entered, from
its signature to its closing brace (the first '}' in column 0 after it). Checking helpers (a
check_* call) are not entered. The second figure counts only the header's lines up to the entry
function's declaration instead of the whole header.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# family: header, the entry declaration's pattern, then (file, signature pattern) per hop.
FAMILIES = [
    ("Luong dot/general/concat", "nn/attention/luong_attention.hpp", r"forward\(",
     [("nn/attention/luong_attention.cpp", r"^functional::AttentionOutput LuongAttention::forward\(")]),
    ("Bahdanau", "nn/attention/additive_attention.hpp", r"forward\(",
     [("nn/attention/additive_attention.cpp", r"^functional::AttentionOutput AdditiveAttention::forward\("),
      ("nn/attention/additive_attention.cpp", r"^functional::AttentionOutput AdditiveAttention::attend\(")]),
    ("scaled dot-product", "nn/attention/attention_functional.hpp", r"scaled_dot_product_attention\(",
     [("nn/attention/attention_functional.cpp", r"^AttentionOutput scaled_dot_product_attention\(")]),
    ("self-attention", "nn/attention/self_attention.hpp", r"forward\(",
     [("nn/attention/self_attention.cpp", r"^functional::AttentionOutput SelfAttention::forward\("),
      ("nn/attention/attention_functional.cpp", r"^AttentionOutput scaled_dot_product_attention\(")]),
    ("MultiheadAttention", "nn/attention/multihead_attention.hpp", r"forward\(",
     [("nn/attention/multihead_attention.cpp", r"^functional::AttentionOutput MultiheadAttention::forward\("),
      ("nn/attention/attention_functional.cpp", r"^AttentionOutput scaled_dot_product_attention\(")]),
    ("TransformerEncoderLayer", "nn/transformer/transformer_encoder.hpp", r"forward_with_attention\(",
     [("nn/transformer/transformer_encoder.cpp",
       r"^TransformerOutput TransformerEncoderLayer::forward_with_attention\("),
      ("nn/attention/multihead_attention.cpp", r"^functional::AttentionOutput MultiheadAttention::forward\("),
      ("nn/attention/attention_functional.cpp", r"^AttentionOutput scaled_dot_product_attention\(")]),
    ("TransformerDecoderLayer", "nn/transformer/transformer_decoder.hpp", r"forward_with_attention\(",
     [("nn/transformer/transformer_decoder.cpp",
       r"^TransformerOutput TransformerDecoderLayer::forward_with_attention\("),
      ("nn/attention/multihead_attention.cpp", r"^functional::AttentionOutput MultiheadAttention::forward\("),
      ("nn/attention/attention_functional.cpp", r"^AttentionOutput scaled_dot_product_attention\(")]),
]


def lines_of(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read().split("\n")[:-1]


def function_length(path, signature):
    text = lines_of(path)
    for i, line in enumerate(text):
        if re.search(signature, line):
            for j in range(i, len(text)):
                if text[j].startswith("}"):
                    return i + 1, j - i + 1
    sys.exit(f"{path}: no function matching {signature}")


def declaration_end(path, pattern):
    text = lines_of(path)
    for i, line in enumerate(text):
        if re.search(pattern, line) and not line.lstrip().startswith("//"):
            for j in range(i, len(text)):
                if text[j].rstrip().endswith(";"):
                    return j + 1
    sys.exit(f"{path}: no declaration matching {pattern}")


def main():
    print("| family | hops | lines (whole header) | lines (header to the entry) | path (lines) |")
    print("| --- | --- | --- | --- | --- |")
    for name, header, entry, hops in FAMILIES:
        header_lines = len(lines_of(header))
        to_entry = declaration_end(header, entry)
        path, total = [], 0
        for source, signature in hops:
            start, length = function_length(source, signature)
            total += length
            function = signature.replace("\\(", "").split(" ")[-1]
            path.append(f"`{function}` {length} ({source}:{start})")
        print(f"| {name} | {len(hops)} | {header_lines + total} | {to_entry + total} | "
              f"{header} {header_lines}, {', '.join(path)} |")


if __name__ == "__main__":
    main()
