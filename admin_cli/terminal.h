// SPDX-License-Identifier: Apache-2.0
// What onepctl prints on a terminal: columns counted as a terminal counts
// them, text cut to a width, and the user's text (names, event fields) with
// every terminal-unsafe character (onep/text.h) made harmless.
//
// Thread-safety: pure functions.
#ifndef ONEP_ADMIN_CLI_TERMINAL_H_
#define ONEP_ADMIN_CLI_TERMINAL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace onep::cli {

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

}  // namespace onep::cli

#endif  // ONEP_ADMIN_CLI_TERMINAL_H_
