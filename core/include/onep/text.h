// Text shown to people: UTF-8 decoding, and what may not reach a terminal.
//
// Stored values (names, event fields) come from whoever holds a token or
// runs onepctl. Printed raw, some characters would act on the terminal or
// fool the reader: C0 and C1 controls (escape sequences; U+009B is CSI),
// DEL, bidirectional controls that show text in another order than it is
// stored in (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C), line and
// paragraph separators (U+2028, U+2029) and invisible characters (U+200B,
// U+2060, U+FEFF). Those are "terminal-unsafe".
//
// Thread-safety: pure functions.
#ifndef ONEP_TEXT_H_
#define ONEP_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace onep {

// Bytes of the UTF-8 sequence that starts with `lead` (1 for a byte that
// cannot start one).
std::size_t Utf8SequenceLength(unsigned char lead);

// The code point of a well-formed UTF-8 sequence (IsValidUtf8, parse.h).
uint32_t DecodeUtf8(std::string_view sequence);

bool IsTerminalUnsafe(uint32_t code_point);

// Columns a code point takes on a terminal: 2 for East Asian wide and
// full-width characters and emoji, 0 for combining marks and joiners, else 1.
int CodePointWidth(uint32_t code_point);

// Columns `text` (UTF-8) takes; a malformed byte counts 1.
std::size_t TerminalWidth(std::string_view text);

// `text` cut to at most `max` columns on a character boundary, with "…" at
// the end when something was cut (max >= 1).
std::string CutToColumns(std::string_view text, std::size_t max);

// `text` with every terminal-unsafe character and every byte of malformed
// UTF-8 replaced by one '?', so columns stay aligned.
std::string SanitizeForTerminal(std::string_view text);

// JSON text (as Jansson writes it, C0 controls already escaped) with every
// other terminal-unsafe character inside it written as \uXXXX: the same
// JSON value, safe to print.
std::string EscapeTerminalUnsafe(std::string_view json);

}  // namespace onep

#endif  // ONEP_TEXT_H_
