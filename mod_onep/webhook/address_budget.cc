// SPDX-License-Identifier: Apache-2.0
#include "webhook/address_budget.h"

#include <apr_shm.h>
#include <netinet/in.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "apr_network_io.h"
#include "apr_strings.h"
#include "mod_onep.h"

namespace onep::module {

using Slot = std::atomic<uint64_t>;
static_assert(Slot::is_always_lock_free, "slots in shared memory must be lock-free");

// One server's table, in the shared segment.
struct AddressBudgetTable {
  Slot slots[kAddressBudgetSlots];
};

namespace {

// Written once by the parent in post_config, before any child exists.
uint64_t g_hash_key = 0;

// A slot's word: the minute (Unix minutes + 1; 0: never used) in the high
// half, the count in that minute in the low half.
constexpr uint64_t Word(uint64_t minute_plus_one, uint64_t count) {
  return (minute_plus_one << 32) | count;
}

uint64_t Mix(uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// The slot of r's client address, or null.
Slot* SlotOf(const request_rec* r) {
  const ServerConfig* conf = GetServerConfig(r->server);
  if (conf->address_budget == nullptr) return nullptr;
  const apr_sockaddr_t* addr = r->useragent_addr;
  const unsigned char* bytes = nullptr;
  std::size_t size = 0;
  if (addr != nullptr && addr->family == APR_INET) {
    bytes = static_cast<const unsigned char*>(addr->ipaddr_ptr);
    size = 4;
  } else if (addr != nullptr && addr->family == APR_INET6) {
    bytes = static_cast<const unsigned char*>(addr->ipaddr_ptr);
    size = 8;  // the /64
    static const unsigned char kV4Mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(bytes, kV4Mapped, sizeof kV4Mapped) == 0) {
      bytes += 12;
      size = 4;
    }
  }
  uint64_t h = g_hash_key ^ size;
  for (std::size_t i = 0; i < size; ++i) h = Mix(h ^ bytes[i]);
  return &conf->address_budget->slots[Mix(h) % kAddressBudgetSlots];
}

uint64_t MinutePlusOne(int64_t now_s) { return static_cast<uint64_t>(now_s / 60) + 1; }

}  // namespace

Status CreateAddressBudgets(apr_pool_t* pconf, server_rec* main_server) {
  int servers = 0;
  for (server_rec* s = main_server; s != nullptr; s = s->next) {
    GetServerConfig(s)->address_budget = nullptr;
    ++servers;
  }
  if (apr_generate_random_bytes(reinterpret_cast<unsigned char*>(&g_hash_key), sizeof g_hash_key) !=
      APR_SUCCESS) {
    return Status::Internal("cannot draw the key of the address table's hash");
  }
  const std::size_t size = static_cast<std::size_t>(servers) * sizeof(AddressBudgetTable);
  std::size_t space = size + alignof(AddressBudgetTable) - 1;
  apr_shm_t* shm = nullptr;
  // Anonymous: no file to clean up, inherited by the children across fork,
  // destroyed with the configuration pool.
  apr_status_t rv = apr_shm_create(&shm, space, nullptr, pconf);
  if (rv != APR_SUCCESS) {
    char why[256];
    apr_strerror(rv, why, sizeof why);
    return Status::Internal(std::string("cannot create the address table's shared memory: ") + why);
  }
  void* base = apr_shm_baseaddr_get(shm);
  if (std::align(alignof(AddressBudgetTable), size, base, space) == nullptr) {
    return Status::Internal("cannot create the address table's shared memory: misaligned");
  }
  memset(base, 0, size);
  auto* tables = static_cast<unsigned char*>(base);
  for (server_rec* s = main_server; s != nullptr; s = s->next) {
    GetServerConfig(s)->address_budget = new (tables) AddressBudgetTable();
    tables += sizeof(AddressBudgetTable);
  }
  return Status::Ok();
}

uint32_t UnknownTokensFrom(const request_rec* r, int64_t now_s) {
  const Slot* slot = SlotOf(r);
  if (slot == nullptr) return 0;
  const uint64_t word = slot->load(std::memory_order_relaxed);
  return (word >> 32) == MinutePlusOne(now_s) ? static_cast<uint32_t>(word) : 0;
}

void CountUnknownTokenFrom(const request_rec* r, int64_t now_s) {
  Slot* slot = SlotOf(r);
  if (slot == nullptr) return;
  const uint64_t minute = MinutePlusOne(now_s);
  uint64_t word = slot->load(std::memory_order_relaxed);
  for (;;) {
    uint64_t next;
    if ((word >> 32) != minute) {
      next = Word(minute, 1);  // a new minute starts from one
    } else if (static_cast<uint32_t>(word) == UINT32_MAX) {
      return;  // saturated
    } else {
      next = word + 1;
    }
    if (slot->compare_exchange_weak(word, next, std::memory_order_relaxed)) return;
  }
}

}  // namespace onep::module
