// SPDX-License-Identifier: Apache-2.0
#include "onep/record_batcher.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>

namespace onep {

// One per thread, shared by every batcher it records through (a thread is in
// one Record at a time).
struct RecordBatcher::ThreadState {
  // What the thread waits on. A notify may reach it after the waiter has gone
  // on (it woke on its own and saw its answer): its next wait then wakes once
  // for nothing and waits again, as every wait re-checks its condition. Held
  // by a shared_ptr, of which a sender keeps a copy while it wakes the
  // thread: the thread may have ended meanwhile (an Apache child's thread
  // exits with its thread_local state), the condition variable has not.
  std::shared_ptr<std::condition_variable> wake = std::make_shared<std::condition_variable>();
  // The batch this thread sends, taken from the queue; then the threads it
  // wakes when the batch is answered (read after the lock is released, when
  // the members may be gone).
  std::vector<Waiter*> batch;
  std::vector<std::shared_ptr<std::condition_variable>> woken;
};

RecordBatcher::ThreadState& RecordBatcher::ThisThread() {
  thread_local ThreadState state;
  state.batch.reserve(max_batch_);
  state.woken.reserve(max_batch_ + 1);
  return state;
}

Result<RecordOutcome> RecordBatcher::Record(RedisClient& redis, const RecordRequest& request) {
  if (request.routing_tag.empty()) return store_.Record(redis, request);
  ThreadState& thread = ThisThread();  // may throw: nothing is queued yet
  Waiter self{&request, thread.wake, false, false, std::nullopt};
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&self);
  // The request's deadline, or one timeout from now: the wait here and the
  // call that follows spend the same budget.
  const Deadline give_up = Earlier(request.deadline, DeadlineIn(redis.timeout()));
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
                                     "ms (the writes before it took that long); nothing was sent",
                                 RedisFailure::kTimedOut);
    }
  }
  if (self.taken) {
    // Its outcome comes with the batch's answer, and the sender's call is
    // bounded: no deadline of its own. (Past `give_up`, a timed wait returns
    // at once, and the thread would spin on the lock the sender needs to
    // publish the outcomes.)
    self.wake->wait(lock, [&self] { return self.answered; });
  } else {
    // This thread heads the queue and nothing is on the wire: it sends the
    // queue's head, its own event first.
    sending_ = true;
    thread.batch.clear();
    while (!queue_.empty() && thread.batch.size() < max_batch_) {
      queue_.front()->taken = true;
      thread.batch.push_back(queue_.front());  // within the room reserved
      queue_.pop_front();
    }
    lock.unlock();
    Send(redis, thread);
  }
  if (!self.outcome) return Status::Internal("recording failed: out of memory");
  return std::move(*self.outcome);
}

std::size_t RecordBatcher::Queued() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void RecordBatcher::Send(RedisClient& redis, ThreadState& sender) {
  // On every way out of here, the batch ends.
  struct Ender {
    RecordBatcher& batcher;
    ThreadState& sender;
    ~Ender() { batcher.End(sender); }
  } ender{*this, sender};
  try {
    Call(redis, sender.batch);
  } catch (const std::exception& e) {
    Fail(sender.batch, e.what());
  } catch (...) {
    Fail(sender.batch, "an exception of unknown type");
  }
}

void RecordBatcher::Call(RedisClient& redis, const std::vector<Waiter*>& batch) {
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
  if (requests.size() == 1) {  // one org: the common case
    outcomes.push_back(store_.RecordBatch(redis, requests.front()));
  } else {
    outcomes = store_.RecordBatches(redis, requests);
  }
  // Outside the lock: a member reads its outcome only once End has marked
  // the batch answered, under the lock.
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (std::size_t i = 0; i < groups[g].size(); ++i) {
      groups[g][i]->outcome = std::move(outcomes[g][i]);
    }
  }
}

void RecordBatcher::Fail(const std::vector<Waiter*>& batch, const char* what) noexcept {
  try {
    const Status failed = Status::Internal(std::string("recording failed: ") + what);
    for (Waiter* w : batch) {
      if (!w->outcome) w->outcome = failed;
    }
  } catch (...) {  // no memory for the message: Record says so
  }
}

void RecordBatcher::End(ThreadState& sender) noexcept {
  // The members are woken after the lock is released, so that none wakes
  // only to wait for it; the next event in the queue (if any) first: it
  // sends the next batch while these answer. `woken` has room for them all.
  std::vector<std::shared_ptr<std::condition_variable>>& woken = sender.woken;
  woken.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    sending_ = false;
    if (!queue_.empty()) woken.push_back(queue_.front()->wake);
    for (Waiter* w : sender.batch) {
      w->answered = true;
      if (w != sender.batch.front()) woken.push_back(w->wake);
    }
  }
  // A woken member may return (and its Waiter go) at once: nothing of the
  // batch is read from here on.
  sender.batch.clear();
  for (const auto& wake : woken) wake->notify_one();
  woken.clear();  // the copies go: an ended thread's condition variable with them
}

}  // namespace onep
