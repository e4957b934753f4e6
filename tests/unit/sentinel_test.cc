// SPDX-License-Identifier: Apache-2.0
// The pure parts of the Sentinel client: what a sentinel's and a server's
// replies mean, and the order in which sentinels are asked.
#include <gtest/gtest.h>

#include "../../core/src/redis/sentinel_replies.h"

namespace onep::sentinel {
namespace {

Reply Str(const std::string& s) {
  Reply r;
  r.type = Reply::Type::kString;
  r.str = s;
  return r;
}

Reply Array(std::vector<Reply> elements) {
  Reply r;
  r.type = Reply::Type::kArray;
  r.elements = std::move(elements);
  return r;
}

Reply Error(const std::string& s) {
  Reply r;
  r.type = Reply::Type::kError;
  r.str = s;
  return r;
}

TEST(SentinelTest, MasterAddressFromASentinel) {
  auto addr = ParseMasterAddr(Array({Str("127.0.0.1"), Str("6380")}));
  ASSERT_TRUE(addr.ok()) << addr.status().ToString();
  ASSERT_TRUE(addr->has_value());
  EXPECT_EQ((*addr)->host, "127.0.0.1");
  EXPECT_EQ((*addr)->port, 6380);

  // A sentinel that monitors no such master answers nil (RESP2).
  auto unknown = ParseMasterAddr(Reply{});
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());

  for (const Reply& bad :
       {Array({Str("h")}), Array({Str("h"), Str("0")}), Array({Str("h"), Str("65536")}),
        Array({Str("h"), Str("6x")}), Array({Str(""), Str("6379")}), Str("h:6379")}) {
    auto parsed = ParseMasterAddr(bad);
    EXPECT_FALSE(parsed.ok()) << ::testing::PrintToString(bad.str);
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), Code::kUnavailable);
    }
  }
  auto refused = ParseMasterAddr(Error("NOAUTH Authentication required."));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("NOAUTH"), std::string::npos);
}

TEST(SentinelTest, RoleSaysMasterOrNot) {
  Reply offset;
  offset.type = Reply::Type::kInteger;
  EXPECT_TRUE(IsMasterRole(Array({Str("master"), offset, Array({})})));
  EXPECT_FALSE(IsMasterRole(Array({Str("slave"), Str("127.0.0.1"), offset})));
  EXPECT_FALSE(IsMasterRole(Array({Str("sentinel"), Array({})})));
  EXPECT_FALSE(
      IsMasterRole(Error("NOPERM this user has no permissions to run the 'role' command")));
  EXPECT_FALSE(IsMasterRole(Array({})));
}

TEST(SentinelTest, OnlyReadonlySaysADemotedMaster) {
  EXPECT_TRUE(SaysNotMaster(Error("READONLY You can't write against a read only replica.")));
  EXPECT_FALSE(SaysNotMaster(Error("ERR unknown command")));
  EXPECT_FALSE(SaysNotMaster(Error("LOADING Redis is loading the dataset in memory")));
  EXPECT_FALSE(SaysNotMaster(Str("READONLY You can't write against a read only replica.")));
  EXPECT_TRUE(SaysNotMaster(std::vector<Reply>{Str("v"), Error("READONLY no")}));
  EXPECT_FALSE(SaysNotMaster(std::vector<Reply>{Str("v"), Error("ERR no")}));
}

TEST(SentinelTest, TheSentinelThatAnsweredIsAskedFirst) {
  EXPECT_EQ(AskFirst({0, 1, 2}, 2), (std::vector<std::size_t>{2, 0, 1}));
  EXPECT_EQ(AskFirst({2, 0, 1}, 0), (std::vector<std::size_t>{0, 2, 1}));
  EXPECT_EQ(AskFirst({0, 1, 2}, 0), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(AskFirst({0, 1}, 7), (std::vector<std::size_t>{0, 1}));
}

}  // namespace
}  // namespace onep::sentinel
