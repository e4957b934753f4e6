// SPDX-License-Identifier: Apache-2.0
// NamedScript: the prologue generated from a script's declared names, the
// per-item form of group commit, and Bind(). The scripts themselves are in
// record_script.cc, credential_scripts.cc and read_scripts.cc.
#include "scripts/named_script.h"

#include <algorithm>
#include <string>

namespace onep::scripts {
namespace {

#ifdef ONEP_SCRIPT_KEY_CHECK
// Every command the scripts use, with where its keys are: "1" the first
// argument, "2" the second (XGROUP CREATE key ...), "*" every argument, "" none. A command missing
// here, or a key that is not in KEYS, fails the script.
constexpr const char* kCall = R"lua(
local declared = {}
for _, k in ipairs(KEYS) do declared[k] = true end
local key_args = {
  TIME = '', GET = '1', SET = '1', EXISTS = '*', DEL = '*', PEXPIRE = '1', PEXPIREAT = '1',
  PERSIST = '1',
  HGET = '1', HSET = '1', HMGET = '1', HDEL = '1', HINCRBY = '1', HGETALL = '1',
  HEXISTS = '1', HLEN = '1', HSETNX = '1', ZADD = '1', ZREM = '1', ZCARD = '1', ZSCORE = '1',
  ZRANGEBYSCORE = '1', ZPOPMIN = '1', XADD = '1', XLEN = '1', ZRANGE = '1', XREVRANGE = '1',
  XTRIM = '1', XACK = '1', XGROUP = '2',
}
local function call(command, ...)
  local where = key_args[string.upper(command)]
  if where == nil then error('onep key check: ' .. command .. ' is not a known command') end
  local args = {...}
  local first, n = 1, 0
  if where == '1' then n = 1 elseif where == '2' then first, n = 2, 2
  elseif where == '*' then n = #args end
  for i = first, n do
    if not declared[args[i]] then
      error('onep key check: ' .. command .. ' touches ' .. tostring(args[i]) .. ', not in KEYS')
    end
  end
  return redis.call(command, ...)
end
)lua";
#else
constexpr const char* kCall = "local call = redis.call\n";
#endif

// Redis' clock, so every Apache child and every admin agree on "now".
constexpr const char* kNow = R"lua(
local now_us
do
  local time = call('TIME')
  now_us = tonumber(time[1]) * 1000000 + tonumber(time[2])
end
local now = math.floor(now_us / 1000)
local now_text = string.format('%d', now)
)lua";

// What an item whose body raised `e` returns: the error as an error reply.
// redis.call raises a table {err = "WRONGTYPE ..."}; Lua's own errors (and
// the key check's) are strings.
constexpr const char* kItemError = R"lua(
local function item_error(e)
  if type(e) == 'table' and type(e.err) == 'string' then return {err = e.err} end
  return {err = tostring(e)}
end
)lua";

std::string Prologue(const std::vector<std::string_view>& keys,
                     const std::vector<std::string_view>& args, bool deadline) {
  // No flags: a script that writes, refused on a replica and when Redis is
  // out of memory, with its keys checked for one slot on a Cluster.
  std::string out = "#!lua\n";
  out += kCall;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    out += "local " + std::string(keys[i]) + " = KEYS[" + std::to_string(i + 1) + "]\n";
  }
  std::size_t first_arg = 1;
  if (deadline) out += "local deadline = tonumber(ARGV[" + std::to_string(first_arg++) + "])\n";
  for (std::size_t i = 0; i < args.size(); ++i) {
    out += "local " + std::string(args[i]) + " = ARGV[" + std::to_string(first_arg + i) + "]\n";
  }
  out += kNow;
  return out;
}

// The source of a PerItem script: the prologue with the per-call names, the
// helpers, `body` as a function of the item's names, the loop over items
// (which come after the per-call keys and arguments), and the epilogue.
std::string PerItemSource(const std::vector<std::string_view>& call_keys,
                          const std::vector<std::string_view>& call_args,
                          const std::vector<std::string_view>& keys,
                          const std::vector<std::string_view>& args, std::string_view helpers,
                          std::string_view body, std::string_view epilogue) {
  std::string out = Prologue(call_keys, call_args, /*deadline=*/true);
  out += helpers;
  std::string params;
  for (auto name : keys) params += (params.empty() ? "" : ", ") + std::string(name);
  for (auto name : args) params += (params.empty() ? "" : ", ") + std::string(name);
  out += "local function item(" + params + ")\n";
  out += body;
  out += "\nend\n";
  const std::string nk = std::to_string(keys.size());
  const std::string na = std::to_string(args.size());
  const std::size_t first_key = call_keys.size() + 1;
  const std::size_t first_arg = 2 + call_args.size();  // ARGV[1] is the deadline
  // Each item runs under pcall: an item whose body raises an error (an error
  // reply of a command, or Lua's own) gets that error as its result, an error
  // reply in the array, and the items after it still run.
  out += kItemError;
  out += "local results = {}\nfor i = 0, (#KEYS - " + std::to_string(call_keys.size()) + ") / " +
         nk + " - 1 do\n  local done, result = pcall(item";
  for (std::size_t k = 0; k < keys.size(); ++k) {
    out += ", KEYS[i * " + nk + " + " + std::to_string(first_key + k) + "]";
  }
  for (std::size_t a = 0; a < args.size(); ++a) {
    out += ", ARGV[i * " + na + " + " + std::to_string(first_arg + a) + "]";
  }
  out += ")\n  if not done then result = item_error(result) end\n  results[i + 1] = result\nend\n";
  out += epilogue;
  out += "\nreturn results\n";
  return out;
}

// Appends to `out` the values of `given` in the order of `names`; false on a
// missing, unknown or repeated name.
bool Arrange(const std::vector<std::string_view>& names, Bindings given,
             std::vector<std::string>& out, std::string& problem) {
  // The common case, every name once in the declared order: checked in one
  // pass, the values moved in.
  if (given.size() == names.size()) {
    std::size_t i = 0;
    for (const Binding& binding : given) {
      if (binding.name != names[i]) break;
      ++i;
    }
    if (i == names.size()) {
      for (const Binding& binding : given) out.push_back(std::move(binding.value));
      return true;
    }
  }
  const std::size_t base = out.size();
  out.resize(base + names.size());
  std::vector<bool> seen(names.size(), false);
  std::size_t position = 0;
  for (const Binding& binding : given) {
    const std::string_view name = binding.name;
    // Names are mostly given in the declared order: look there first.
    auto at = position < names.size() && names[position] == name
                  ? names.begin() + static_cast<std::ptrdiff_t>(position)
                  : std::find(names.begin(), names.end(), name);
    ++position;
    if (at == names.end()) {
      problem = "unknown name " + std::string(name);
      return false;
    }
    std::size_t i = static_cast<std::size_t>(at - names.begin());
    if (seen[i]) {
      problem = "name given twice: " + std::string(name);
      return false;
    }
    seen[i] = true;
    out[base + i] = std::move(binding.value);  // used once: see Binding
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!seen[i]) {
      problem = "missing " + std::string(names[i]);
      return false;
    }
  }
  return true;
}

}  // namespace

NamedScript::NamedScript(std::vector<std::string_view> keys, std::vector<std::string_view> args,
                         bool deadline, std::string_view body)
    : key_names_(std::move(keys)),
      arg_names_(std::move(args)),
      deadline_(deadline),
      script_(Prologue(key_names_, arg_names_, deadline_) + std::string(body)) {}

NamedScript::NamedScript(PerItem per_call, std::vector<std::string_view> keys,
                         std::vector<std::string_view> args, std::string_view helpers,
                         std::string_view body, std::string_view epilogue)
    : call_key_names_(std::move(per_call.call_keys)),
      call_arg_names_(std::move(per_call.call_args)),
      key_names_(std::move(keys)),
      arg_names_(std::move(args)),
      deadline_(true),
      script_(PerItemSource(call_key_names_, call_arg_names_, key_names_, arg_names_, helpers, body,
                            epilogue)) {}

Status NamedScript::BindItem(ScriptCall& batch, Bindings keys, Bindings args) const {
  std::string problem;
  if (!Arrange(key_names_, keys, batch.keys, problem) ||
      !Arrange(arg_names_, args, batch.args, problem)) {
    return Status::Internal("script call: " + problem);
  }
  return Status::Ok();
}

void NamedScript::Reserve(ScriptCall& batch, std::size_t items) const {
  batch.keys.reserve(batch.keys.size() + items * key_names_.size());
  batch.args.reserve(batch.args.size() + items * arg_names_.size());
}

Result<ScriptCall> NamedScript::BindCall(Bindings keys, Bindings args) const {
  return BindNames(call_key_names_, call_arg_names_, keys, args);
}

Result<ScriptCall> NamedScript::Bind(Bindings keys, Bindings args) const {
  return BindNames(key_names_, arg_names_, keys, args);
}

Result<ScriptCall> NamedScript::BindNames(const std::vector<std::string_view>& key_names,
                                          const std::vector<std::string_view>& arg_names,
                                          Bindings keys, Bindings args) const {
  ScriptCall call;
  call.script = &script_;
  call.deadline = deadline_;
  call.keys.reserve(key_names.size());
  call.args.reserve(arg_names.size());
  std::string problem;
  if (!Arrange(key_names, keys, call.keys, problem) ||
      !Arrange(arg_names, args, call.args, problem)) {
    return Status::Internal("script call: " + problem);
  }
  return call;
}

}  // namespace onep::scripts
