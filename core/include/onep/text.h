// SPDX-License-Identifier: Apache-2.0
// Text, one rule each: UTF-8 decoding, the user's text quoted in a message,
// what may not reach a terminal, and hex. Every other file that needs one of
// these calls it here. Base64 too.
//
// UTF-8 is decoded strictly (RFC 3629): no overlong forms, no surrogates,
// nothing above U+10FFFF; a byte that starts no well-formed sequence is
// malformed on its own.
//
// Stored values (names, event fields) come from whoever holds a token or
// runs onepctl. Printed raw, some characters would act on the terminal or
// fool the reader. One list, IsTerminalUnsafe, names them, and both the name
// rule (ValidateName, parse.h) and every terminal or message output follow
// it:
//   - controls (Cc): C0, DEL, C1 (U+009B is CSI);
//   - every format character (Cf): bidirectional controls that show text in
//     another order than it is stored in (U+061C, U+200E, U+200F,
//     U+202A-U+202E, U+2066-U+2069), U+200B, U+2060-U+206F, U+FEFF,
//     U+00AD, U+180E, U+FFF9-U+FFFB and the rest;
//   - line and paragraph separators (U+2028, U+2029);
//   - characters that show nothing and look like a space or like nothing:
//     U+034F, U+115F, U+1160, U+17B4, U+17B5, U+180B-U+180F, U+2800, U+3164,
//     U+FFA0, U+FFF0-U+FFF8;
//   - tags and the supplementary variation selectors (U+E0000-U+E0FFF).
// Allowed on purpose: U+200C and U+200D (the joiners that emoji sequences
// and Persian or Indic spelling need) and U+FE00-U+FE0F (emoji
// presentation). They change how their neighbours are drawn, never add a
// character of their own. Look-alikes from other scripts (Cyrillic "а" for
// Latin "a") are not refused either: a name is a label, a credential's id is
// what identifies it.
//
// Thread-safety: pure functions.
#ifndef ONEP_TEXT_H_
#define ONEP_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace onep {

// ---------------------------------------------------------------------------
// UTF-8

// The length of the well-formed UTF-8 sequence at text[i] (i < text.size()),
// its code point in *code_point; 0 when the bytes there are not one (then
// *code_point is unspecified).
std::size_t DecodeUtf8(std::string_view text, std::size_t i, uint32_t* code_point);

// True when all of `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

// Calls f(sequence, code point) for each character of `text`: a byte of
// malformed UTF-8 is a character of its own, with no code point (nullopt).
// Stops when f returns false.
template <typename F>
void ForEachCharacter(std::string_view text, F&& f) {
  uint32_t cp;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) {
      if (!f(text.substr(i, 1), std::optional<uint32_t>())) return;
      ++i;
    } else {
      if (!f(text.substr(i, len), std::optional<uint32_t>(cp))) return;
      i += len;
    }
  }
}

// ---------------------------------------------------------------------------
// The user's text in a message (an error, a log line)

// `text` in double quotes, fit for a message that reaches a terminal or a
// log: '"' and '\' escaped, every terminal-unsafe character and every byte of
// malformed UTF-8 shown as '?', cut after 64 bytes on a character boundary
// with "…". Text that holds a token, or a part of one, is withheld:
// "(a token, not shown)", so a token pasted in the wrong place is not echoed
// (ContainsTokenLike).
std::string QuoteForMessage(std::string_view text);

// True when `text` contains the token prefix "onep_" anywhere, in any mix of
// case ("ONEP_", "Onep_"). Looser than a token's full pattern on purpose: a
// token cut short, mistyped or upper-cased is still mostly secret, and
// withholding a value that only looks like one costs a less specific message.
bool ContainsTokenLike(std::string_view text);

// ---------------------------------------------------------------------------
// Terminals

// True for a terminal-unsafe code point (the list above); names may not
// contain one (ValidateName), and onepctl's terminal output
// (admin_cli/terminal.h) and QuoteForMessage make each harmless.
bool IsTerminalUnsafe(uint32_t code_point);

// ---------------------------------------------------------------------------
// Hex

enum class HexCase { kLower, kUpper };

// Two hex digits per byte ("00ff"; "00FF" with kUpper).
std::string HexEncode(std::string_view bytes, HexCase letters = HexCase::kLower);

// The value of one hex digit (either case), or -1 for any other character.
int HexDigitValue(char c);

// ---------------------------------------------------------------------------
// Base64 (RFC 4648 section 4: the standard alphabet, with '=' padding)

std::string Base64Encode(std::string_view bytes);

// The bytes of `text`, or nullopt when it is not canonical base64: a length
// that is not a multiple of 4, a character outside the alphabet, padding
// anywhere but at the end, or pad bits that are not zero.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace onep

#endif  // ONEP_TEXT_H_
