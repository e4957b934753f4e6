// SPDX-License-Identifier: Apache-2.0
// The scripts' key discipline (core/src/scripts/named_script.h): in the
// key-check build (ONEP_SCRIPT_KEY_CHECK, the sanitizer build of scripts/test) a script that
// touches a key it did not declare in KEYS fails, so the whole suite run in
// that build proves that every script names every key it touches.
#include <gtest/gtest.h>

#include "../../core/src/scripts/credential_scripts.h"
#include "../../core/src/scripts/read_scripts.h"
#include "../../core/src/scripts/record_script.h"
#include "onep/redis_client.h"
#include "support/redis_server.h"

namespace onep {
namespace {

TEST(ScriptKeyCheckTest, EveryScriptCarriesTheLuaShebang) {
  for (const scripts::NamedScript* s :
       {&scripts::RecordScript(), &scripts::AuthenticateScript(),
        &scripts::CreateCredentialScript(), &scripts::ReplaceTokenScript(),
        &scripts::DeleteCredentialScript()}) {
    EXPECT_EQ(s->script().source().rfind("#!lua\n", 0), 0u) << s->script().source();
  }
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
