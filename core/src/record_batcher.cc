// SPDX-License-Identifier: Apache-2.0
#include "onep/record_batcher.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>

namespace onep {

namespace {

// The condition variable a thread waits on in any batcher. A notify may reach
// it after the waiter has gone on (it woke on its own and saw its outcome):
// its next wait then wakes once for nothing and waits again, as every wait
// re-checks its condition.
std::condition_variable& ThisThreadsWake() {
  thread_local std::condition_variable wake;
  return wake;
}

}  // namespace

Result<RecordOutcome> RecordBatcher::Record(RedisClient& redis, const RecordRequest& request) {
  if (request.routing_tag.empty()) return store_.Record(redis, request);
  Waiter self{&request, &ThisThreadsWake(), false, std::nullopt};
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&self);
  const auto give_up = std::chrono::steady_clock::now() + redis.timeout();
  // Until its event is taken into a batch, this thread may withdraw it.
  // Woken when it heads the queue and the batch before it is answered (it
  // sends), or when it was taken and its batch is answered.
  while (!self.taken && (sending_ || queue_.front() != &self)) {
    if (self.wake->wait_until(lock, give_up) == std::cv_status::timeout && !self.taken) {
      const bool was_front = queue_.front() == &self;
      queue_.erase(std::find(queue_.begin(), queue_.end(), &self));
      if (was_front && !sending_ && !queue_.empty()) queue_.front()->wake->notify_one();
      return Status::Unavailable("no Redis write for this event within " +
                                 std::to_string(redis.timeout().count()) +
                                 "ms (the writes before it took that long); nothing was sent");
    }
  }
  if (self.taken) {
    // Its outcome comes with the batch's answer, and the sender's call is
    // bounded: no deadline of its own. (Past `give_up`, a timed wait returns
    // at once, and the thread would spin on the lock the sender needs to
    // publish the outcomes.)
    self.wake->wait(lock, [&self] { return self.outcome.has_value(); });
    return std::move(*self.outcome);
  }

  // This thread sends the queue's head: its own event first.
  sending_ = true;
  std::vector<Waiter*> batch;
  while (!queue_.empty() && batch.size() < max_batch_) {
    queue_.front()->taken = true;
    batch.push_back(queue_.front());
    queue_.pop_front();
  }
  lock.unlock();
  Send(redis, batch);
  return std::move(*self.outcome);  // set by Send, which is done with it
}

std::size_t RecordBatcher::Queued() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void RecordBatcher::Wake(const std::vector<std::condition_variable*>& threads) {
  for (std::condition_variable* wake : threads) wake->notify_one();
}

void RecordBatcher::Send(RedisClient& redis, const std::vector<Waiter*>& batch) {
  // One call per slot and wait setting, in the order of the first arrival.
  std::vector<std::vector<Waiter*>> groups;
  for (Waiter* w : batch) {
    auto same = [w](const std::vector<Waiter*>& g) {
      const RecordRequest& a = *g.front()->request;
      const RecordRequest& b = *w->request;
      return a.routing_tag == b.routing_tag && a.wait_replicas == b.wait_replicas &&
             a.wait_timeout_ms == b.wait_timeout_ms;
    };
    auto group = std::find_if(groups.begin(), groups.end(), same);
    if (group == groups.end()) {
      groups.push_back({w});
    } else {
      group->push_back(w);
    }
  }
  // Every group's call in one write (one round trip on one server).
  std::vector<std::vector<const RecordRequest*>> requests(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (Waiter* w : groups[g]) requests[g].push_back(w->request);
    if (on_batch_) on_batch_(requests[g].size());
  }
  std::vector<std::vector<Result<RecordOutcome>>> outcomes;
  try {
    if (requests.size() == 1) {  // one org: the common case
      outcomes.push_back(store_.RecordBatch(redis, requests.front()));
    } else {
      outcomes = store_.RecordBatches(redis, requests);
    }
  } catch (const std::exception& e) {
    outcomes.clear();
    for (const auto& group : groups) {
      outcomes.emplace_back(group.size(),
                            Status::Internal(std::string("recording failed: ") + e.what()));
    }
  }
  // Outcomes are written under the lock (a waiter reads its own under it);
  // the threads are woken after it is released, so that none wakes only to
  // wait for the lock. The next event in the queue (if any) is woken first:
  // it sends the next batch while these answer.
  Waiter* const sender = batch.front();
  std::vector<std::condition_variable*> wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sending_ = false;
    if (!queue_.empty()) wake.push_back(queue_.front()->wake);
    for (std::size_t g = 0; g < groups.size(); ++g) {
      for (std::size_t i = 0; i < groups[g].size(); ++i) {
        groups[g][i]->outcome = std::move(outcomes[g][i]);
        if (groups[g][i] != sender) wake.push_back(groups[g][i]->wake);
      }
    }
  }
  // A woken waiter may return (and its Waiter go) at once: nothing of
  // `batch` is read from here on.
  Wake(wake);
}

}  // namespace onep
