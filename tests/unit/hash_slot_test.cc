// SPDX-License-Identifier: Apache-2.0
// HashSlot against vectors checked with CLUSTER KEYSLOT on Redis 7.0.
#include <gtest/gtest.h>

#include "onep/redis_client.h"

namespace onep {
namespace {

TEST(HashSlotTest, Crc16CheckValue) {
  // The CRC16-XMODEM check value of "123456789" is 0x31C3, below 16384, so
  // it is also the slot.
  EXPECT_EQ(HashSlot("123456789"), 0x31C3);
}

TEST(HashSlotTest, KnownKeys) {
  EXPECT_EQ(HashSlot("foo"), 12182);
  EXPECT_EQ(HashSlot("bar"), 5061);
  EXPECT_EQ(HashSlot(""), 0);
}

TEST(HashSlotTest, HashTagPicksTheSlot) {
  EXPECT_EQ(HashSlot("{user1000}.following"), 3443);
  EXPECT_EQ(HashSlot("{user1000}.followers"), HashSlot("{user1000}.following"));
  EXPECT_EQ(HashSlot("a{b}"), HashSlot("b"));
}

TEST(HashSlotTest, EmptyTagHashesTheWholeKey) {
  EXPECT_EQ(HashSlot("foo{}{bar}"), 8363);
  EXPECT_NE(HashSlot("foo{}{bar}"), HashSlot("bar"));
  EXPECT_EQ(HashSlot("{}"), 15257);
}

TEST(HashSlotTest, TagEndsAtTheFirstClosingBrace) {
  EXPECT_EQ(HashSlot("foo{{bar}}zap"), HashSlot("{bar"));
  EXPECT_EQ(HashSlot("foo{{bar}}zap"), 4015);
  EXPECT_EQ(HashSlot("foo{bar}{zap}"), HashSlot("bar"));
}

}  // namespace
}  // namespace onep
