// SPDX-License-Identifier: Apache-2.0
// The machinery of the Lua scripts that make every write atomic (the
// scripts themselves: record_script.h, credential_scripts.h, read_scripts.h).
// Internal to core.
//
// Each script declares its keys and arguments by name. Its source starts with
// a prologue generated from those names ("local token_key = KEYS[1]", ...),
// and a call is built with Bind() from the same names, so no position is
// matched by hand between Lua and C++. Every key a script touches is one of
// its declared KEYS, all in one org's slot (keys.h); the scripts carry the
// "#!lua" shebang, so a Redis Cluster refuses any cross-slot access itself.
//
// Built with ONEP_SCRIPT_KEY_CHECK (the sanitizer build of scripts/test), the
// prologue also wraps redis.call so that a script touching a key it did not
// declare fails with "onep key check: ...".
#ifndef ONEP_CORE_SRC_SCRIPTS_NAMED_SCRIPT_H_
#define ONEP_CORE_SRC_SCRIPTS_NAMED_SCRIPT_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "onep/redis_connection.h"
#include "onep/status.h"

namespace onep::scripts {

// One name and its value. The value is `mutable` so that Bind() can move it
// into the call out of the (const) initializer list that holds it: each
// binding is a temporary of the call's full expression, used once.
struct Binding {
  Binding(std::string_view n, std::string v) : name(n), value(std::move(v)) {}
  std::string_view name;
  mutable std::string value;
};
using Bindings = std::initializer_list<Binding>;

class NamedScript {
 public:
  // With `deadline`, the call carries the caller's deadline in Redis' clock
  // (ScriptCall::deadline) and the prologue defines `deadline` (a number).
  // The prologue also defines `call` (redis.call, or the key check), `now`
  // (Redis' clock in ms), `now_text` (the same as a decimal string) and
  // `now_us` (Redis' clock in microseconds). A script's body uses only these
  // and its declared names.
  NamedScript(std::vector<std::string_view> keys, std::vector<std::string_view> args, bool deadline,
              std::string_view body);

  // A script that does `body` for each of several items in one call (group
  // commit). KEYS and ARGV (after the deadline) hold first the call's own
  // keys and arguments (`per_call`: the same for every item, defined once as
  // locals by the prologue), then the items' keys and arguments one item
  // after the other, each in the declared order; `body` runs once per item
  // as a function of the item's names (its `return` is the item's result),
  // after `helpers` (functions it calls) ran once. `epilogue`, when given,
  // runs once after the last item (work done once per call). Returns the
  // array of the items' results.
  //
  // An item whose body raises an error (an error reply of a command it calls
  // with `call`, a Lua error) gets that error as its result, an error reply
  // in the array, and the items after it run as if it had not been there.
  // Redis does not undo the writes it made before its error: a body orders
  // its writes so that a failing item leaves nothing behind that another
  // item or a reader would take for its success (record_script.cc). An
  // error in the epilogue, or in the prologue, still fails the whole call.
  //
  // BindCall() starts a call with the per-call names, BindItem() adds one
  // item to it.
  struct PerItem {
    std::vector<std::string_view> call_keys;
    std::vector<std::string_view> call_args;
  };
  NamedScript(PerItem per_call, std::vector<std::string_view> keys,
              std::vector<std::string_view> args, std::string_view helpers, std::string_view body,
              std::string_view epilogue = {});

  const Script& script() const { return script_; }

  // A call with every declared key and argument given by name, in any order.
  // Internal when a name is missing, unknown or given twice: a bug. The
  // values are moved into the call (each list is bound once).
  Result<ScriptCall> Bind(Bindings keys, Bindings args) const;

  // A PerItem script's call without items: its per-call keys and arguments,
  // by name as Bind's. Items are added with BindItem().
  Result<ScriptCall> BindCall(Bindings keys, Bindings args) const;

  // Adds to `batch` (from BindCall) one item's keys and arguments, by name
  // as Bind's, moved straight into the call. Internal as Bind's; `batch` is
  // then unusable.
  Status BindItem(ScriptCall& batch, Bindings keys, Bindings args) const;
  // Makes room in `batch` (from BindCall) for `items` more items.
  void Reserve(ScriptCall& batch, std::size_t items) const;

 private:
  // A call of `key_names` and `arg_names`, given by name (Bind, BindCall).
  Result<ScriptCall> BindNames(const std::vector<std::string_view>& key_names,
                               const std::vector<std::string_view>& arg_names, Bindings keys,
                               Bindings args) const;

  std::vector<std::string_view> call_key_names_;  // PerItem only
  std::vector<std::string_view> call_arg_names_;
  std::vector<std::string_view> key_names_;
  std::vector<std::string_view> arg_names_;
  bool deadline_;
  Script script_;
};

}  // namespace onep::scripts

#endif  // ONEP_CORE_SRC_SCRIPTS_NAMED_SCRIPT_H_
