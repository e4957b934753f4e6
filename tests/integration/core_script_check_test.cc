// SPDX-License-Identifier: Apache-2.0
// The scripts' key discipline (core/src/scripts/named_script.h): every script reaches
// Redis as a "#!lua" script without flags, so Redis itself holds it to the
// keys it declares (on a Cluster, to their one slot); and in the key-check
// build (ONEP_SCRIPT_KEY_CHECK, the sanitizer build of scripts/test) a script
// that touches a key it did not declare in KEYS fails, so the whole suite run
// in that build proves that every script names every key it touches.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../../core/src/scripts/all_scripts.h"
#include "onep/redis_client.h"
#include "support/process.h"
#include "support/redis_server.h"

namespace onep {
namespace {

// The names of the script accessors (`const NamedScript& Name();`) that the
// headers under core/ declare, wherever they live.
std::vector<std::string> DeclaredScripts() {
  const std::regex declaration(R"(const NamedScript& (\w+)\(\);)");
  std::vector<std::string> names;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(std::string(ONEP_SOURCE_DIR) + "/core")) {
    if (entry.path().extension() != ".h") continue;
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::sregex_iterator m(text.begin(), text.end(), declaration), end; m != end; ++m) {
      names.push_back((*m)[1]);
    }
  }
  return names;
}

// calls and rejected_calls (refused before running) of `command` in INFO
// commandstats.
struct CommandStat {
  long long calls = 0;
  long long rejected = 0;
};
CommandStat StatOf(RedisConnection& conn, const std::string& command) {
  auto info = conn.Command({"INFO", "commandstats"});
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  CommandStat stat;
  if (!info.ok()) return stat;
  const std::string line = "cmdstat_" + command + ":";
  const auto at = info->str.find(line);
  if (at == std::string::npos) return stat;
  const std::string fields = info->str.substr(at, info->str.find('\n', at) - at);
  auto number = [&](const std::string& name) {
    const auto pos = fields.find(name + "=");
    return pos == std::string::npos ? 0 : std::atoll(fields.c_str() + pos + name.size() + 1);
  };
  stat.calls = number("calls");
  stat.rejected = number("rejected_calls");
  return stat;
}

TEST(ScriptKeyCheckTest, AllScriptsListsEveryScriptTheHeadersDeclare) {
  const std::vector<std::string> declared = DeclaredScripts();
  ASSERT_FALSE(declared.empty()) << "no `const NamedScript& Name();` under core/";
  const auto& all = scripts::AllScripts();
  EXPECT_EQ(all.size(), declared.size())
      << "scripts::AllScripts() must list every script; declared: "
      << ::testing::PrintToString(declared);
  EXPECT_EQ(std::set<const scripts::NamedScript*>(all.begin(), all.end()).size(), all.size())
      << "a script listed twice";
}

// What the connection sends (EVALSHA, then EVAL with the source) is a script
// that Redis takes as "#!lua" without flags: one that may write, so that
// Redis refuses it before running it when out of memory, whereas a script
// without the shebang runs until its first write. (The same parse of the
// shebang makes a Cluster hold the script to the slot of its keys.)
TEST(ScriptKeyCheckTest, RedisTakesEveryScriptAsSentForALuaShebangWithoutFlags) {
  testing::RedisServer redis;
  auto conn = redis.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->Command({"CONFIG", "SET", "maxmemory", "1"}).ok());
  for (const scripts::NamedScript* s : scripts::AllScripts()) {
    const std::string& source = s->script().source();
    EXPECT_EQ(source.rfind("#!lua\n", 0), 0u) << source.substr(0, source.find('\n'));
    const CommandStat before = StatOf(*conn, "eval");
    ScriptCall call;
    call.script = &s->script();
    auto reply = conn->EvalRaw(call);
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    // Refused as a command, not failed from inside the script (which would
    // add " script: <sha>, on @user_script:<line>.").
    EXPECT_EQ(reply->str, "OOM command not allowed when used memory > 'maxmemory'.")
        << source.substr(0, source.find('\n'));
    const CommandStat after = StatOf(*conn, "eval");
    EXPECT_EQ(after.calls, before.calls) << "the script ran: " << source.substr(0, 200);
    EXPECT_EQ(after.rejected, before.rejected + 1);
  }
  // The control: without the shebang, Redis runs a script however full it is.
  auto plain = conn->Command({"EVAL", "return 1", "0"});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->integer, 1) << plain->str;
  ASSERT_TRUE(conn->Command({"CONFIG", "SET", "maxmemory", "0"}).ok());
}

// On a Cluster (one node serving every slot), Redis refuses a named script
// that reaches a key of another slot than its declared keys', even one the
// node serves, because of its shebang: the same body without it runs.
TEST(ScriptKeyCheckTest, ACrossSlotKeyIsRefusedToANamedScriptByRedisItself) {
  // The bus port set, as RedisCluster does: port + 10000 is not reserved.
  testing::RedisServer redis({"cluster-enabled yes", "cluster-config-file nodes.conf",
                              "cluster-port " + std::to_string(testing::FreePort())});
  auto conn = redis.Connect();
  ASSERT_TRUE(conn);
  auto added = conn->Command({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"});
  ASSERT_TRUE(added.ok() && !added->is_error()) << (added.ok() ? added->str : "");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    auto info = conn->Command({"CLUSTER", "INFO"});
    ASSERT_TRUE(info.ok());
    if (info->str.find("cluster_state:ok") != std::string::npos) break;
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << info->str;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string a = "{aaaaaaaa}:x", b = "{bbbbbbbb}:x";
  ASSERT_NE(HashSlot(a), HashSlot(b));
  // redis.call, not call: the key-check build's own check is not what is
  // tested here.
  const scripts::NamedScript sneaky({"first_key"}, {"other"}, false,
                                    "return redis.call('GET', other)");
  auto refused = conn->EvalRaw(sneaky.Bind({{"first_key", a}}, {{"other", b}}).value());
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_TRUE(refused->is_error());
  EXPECT_NE(refused->str.find("do not hash to the same slot"), std::string::npos) << refused->str;
  // The control: the same source without its first line, the shebang.
  const std::string& source = sneaky.script().source();
  auto plain = conn->Command({"EVAL", source.substr(source.find('\n') + 1), "1", a, b});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->is_error()) << plain->str;
}

TEST(ScriptKeyCheckTest, BindRefusesMissingUnknownAndRepeatedNames) {
  const scripts::NamedScript script({"a_key"}, {"an_arg"}, false, "return 1");
  EXPECT_TRUE(script.Bind({{"a_key", "k"}}, {{"an_arg", "v"}}).ok());
  EXPECT_EQ(script.Bind({}, {{"an_arg", "v"}}).status().code(), Code::kInternal);
  EXPECT_EQ(script.Bind({{"a_key", "k"}, {"b_key", "k"}}, {{"an_arg", "v"}}).status().code(),
            Code::kInternal);
  EXPECT_EQ(script.Bind({{"a_key", "k"}, {"a_key", "k"}}, {{"an_arg", "v"}}).status().code(),
            Code::kInternal);
  auto call = script.Bind({{"a_key", "k"}}, {{"an_arg", "v"}});
  EXPECT_EQ(call->keys, std::vector<std::string>{"k"});
  EXPECT_EQ(call->args, std::vector<std::string>{"v"});
}

TEST(ScriptKeyCheckTest, AnUndeclaredKeyFailsTheScript) {
#ifndef ONEP_SCRIPT_KEY_CHECK
  GTEST_SKIP() << "the key check is compiled into the ONEP_SCRIPT_KEY_CHECK build only";
#else
  testing::RedisServer redis;
  auto client = redis.Client();
  const scripts::NamedScript script({"declared_key"}, {}, false,
                                    "call('SET', declared_key, '1')\n"
                                    "return call('GET', 'undeclared')");
  auto reply = client->Eval("", script.Bind({{"declared_key", "declared"}}, {}).value());
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.status().message().find("onep key check"), std::string::npos)
      << reply.status().ToString();
  // Declared keys pass.
  const scripts::NamedScript fine({"declared_key"}, {}, false, "return call('GET', declared_key)");
  auto ok = client->Eval("", fine.Bind({{"declared_key", "declared"}}, {}).value());
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
#endif
}

}  // namespace
}  // namespace onep
