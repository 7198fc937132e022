------------------------------- MODULE Courier -------------------------------
(***************************************************************************)
(* The delivery contract of Courier as MemEngine (the reference engine, the *)
(* engine of the HTTP hub and of sim://) and SubscriptionRuntime implement  *)
(* it: leases with tokens, attempts counted at lease time, acks that race   *)
(* with lease expiry, nacks with a delay (abstract time), dead letters      *)
(* after MaxAttempts (C15), ordering keys (C9), member queues with sticky   *)
(* fallback (C4), graceful close (C13), a member crash, a disconnect        *)
(* (session replaced, handlers keep running) and a hub crash that loses     *)
(* every lease while the journal (messages, attempt counts) survives.       *)
(*                                                                         *)
(* Flaw selects a deliberately broken variant (see FlawExpiry.cfg …); the   *)
(* correct contract is Flaw = "none".                                       *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets

CONSTANTS
    Members,      \* member names, e.g. {"a", "b"}
    N,            \* messages 1..N, sent in this order (send sequence = id)
    MaxAttempts,  \* RetryPolicy.maxAttempts
    MaxFaults,    \* bound on expiries, crashes, disconnects, closes and hub crashes (keeps the model finite)
    Key,          \* Key[m]: ordering key of m, or NoKey
    Dest,         \* Dest[m]: "any" or the member of a sticky any@group/member message
    NoKey,
    Flaw,         \* "none" | "expiry-uncounted" | "stale-ack" | "key-early" | "crash-keeps-leases"
    DeadLetterChecksLease \* FALSE: as implemented (copy sent, then the ack); TRUE: the proposed fix

Msgs == 1..N
NoLease == [mem |-> "none", tok |-> 0]
Payload(m) == <<"payload", m>>        \* what was sent: payload and headers, abstractly
Headers(m) == <<"headers", m>>

VARIABLES
    sent,       \* number of messages accepted so far (C1: accepted = in the journal)
    state,      \* state[m] \in {"unsent", "pending", "leased", "acked", "dead"}
    delayed,    \* delayed[m]: pending but not yet available (nack delay; abstract time)
    attempts,   \* attempts[m]: deliveries counted by the engine (journal: survives a hub crash)
    tok,        \* tok[m]: token of m's latest lease
    lease,      \* lease[m]: owner and token of m's live lease (NoLease when not leased)
    epoch,      \* hub incarnation: lease ids carry it, so pre-crash settlements are refused
    inflight,   \* deliveries handed to members and not settled yet (the handlers' memory)
    handled,    \* handled[m]: how many times a handler ran m (history, for C15)
    dlq,        \* dead letters: copies with payload, headers and attempt count (C7)
    up,         \* up[x]: member x has a live consumer (registered)
    closing,    \* closing[x]: close() called: no new fetch, in-flight handlers finish
    faults      \* faults injected so far

vars == <<sent, state, delayed, attempts, tok, lease, epoch, inflight, handled, dlq, up, closing, faults>>

Delivery == [msg: Msgs, mem: Members, tok: Nat, att: Nat, epoch: Nat, phase: {"new", "ok", "fail"}]

TypeOK ==
    /\ sent \in 0..N
    /\ state \in [Msgs -> {"unsent", "pending", "leased", "acked", "dead"}]
    /\ delayed \in [Msgs -> BOOLEAN]
    /\ attempts \in [Msgs -> Nat]
    /\ tok \in [Msgs -> Nat]
    /\ epoch \in Nat
    /\ inflight \subseteq Delivery
    /\ handled \in [Msgs -> Nat]
    /\ up \in [Members -> BOOLEAN]
    /\ closing \in [Members -> BOOLEAN]
    /\ faults \in 0..MaxFaults

Init ==
    /\ sent = 0
    /\ state = [m \in Msgs |-> "unsent"]
    /\ delayed = [m \in Msgs |-> FALSE]
    /\ attempts = [m \in Msgs |-> 0]
    /\ tok = [m \in Msgs |-> 0]
    /\ lease = [m \in Msgs |-> NoLease]
    /\ epoch = 0
    /\ inflight = {}
    /\ handled = [m \in Msgs |-> 0]
    /\ dlq = {}
    /\ up = [x \in Members |-> TRUE]
    /\ closing = [x \in Members |-> FALSE]
    /\ faults = 0

Done(m) == state[m] \in {"acked", "dead"}

(* C1: send completes once the journal has the message; first delivery will be attempt 1. *)
Send ==
    /\ sent < N
    /\ sent' = sent + 1
    /\ state' = [state EXCEPT ![sent + 1] = "pending"]
    /\ UNCHANGED <<delayed, attempts, tok, lease, epoch, inflight, handled, dlq, up, closing, faults>>

(* C9: a keyed message is available only while every older message of its key is settled. The flaw       *)
(* "key-early" releases the next message as soon as the previous one has been leased (not acked).          *)
KeyFree(m) ==
    \A o \in Msgs : (o < m /\ Key[o] # NoKey /\ Key[o] = Key[m]) =>
        IF Flaw = "key-early" THEN state[o] # "pending" ELSE Done(o)

(* C4: a sticky message goes to its member while it is live, to every member otherwise. *)
ForMember(m, x) == IF Dest[m] \in Members THEN (Dest[m] = x \/ ~up[Dest[m]]) ELSE TRUE

(* MemEngine.poll: lease an available message to member x; the attempt is counted here (C6, C15). *)
Lease(x, m) ==
    /\ up[x] /\ ~closing[x]
    /\ state[m] = "pending" /\ ~delayed[m]
    /\ ForMember(m, x)
    /\ KeyFree(m)
    /\ state' = [state EXCEPT ![m] = "leased"]
    /\ attempts' = [attempts EXCEPT ![m] = @ + 1]
    /\ tok' = [tok EXCEPT ![m] = @ + 1]
    /\ lease' = [lease EXCEPT ![m] = [mem |-> x, tok |-> tok[m] + 1]]
    /\ inflight' = inflight \cup {[msg |-> m, mem |-> x, tok |-> tok[m] + 1, att |-> attempts[m] + 1,
                                   epoch |-> epoch, phase |-> "new"]}
    /\ UNCHANGED <<sent, delayed, epoch, handled, dlq, up, closing, faults>>

(* The lease ends (ack deadline passed, no extension): the message is available again; the handler that    *)
(* holds the delivery may still settle it. The flaw "expiry-uncounted" does not count the expired attempt. *)
Expire(m) ==
    /\ faults < MaxFaults
    /\ state[m] = "leased"
    /\ state' = [state EXCEPT ![m] = "pending"]
    /\ lease' = [lease EXCEPT ![m] = NoLease]
    /\ attempts' = IF Flaw = "expiry-uncounted" THEN [attempts EXCEPT ![m] = @ - 1] ELSE attempts
    /\ faults' = faults + 1
    /\ UNCHANGED <<sent, delayed, tok, epoch, inflight, handled, dlq, up, closing>>

(* The runtime runs the handler (SubscriptionRuntime.accept): a delivery past maxAttempts is not handled,  *)
(* it goes to the dead letters unhandled (C15). The outcome is the handler's choice.                      *)
Handle(d) ==
    /\ d \in inflight /\ d.phase = "new" /\ d.att <= MaxAttempts
    /\ \E outcome \in {"ok", "fail"} :
        inflight' = (inflight \ {d}) \cup {[d EXCEPT !.phase = outcome]}
    /\ handled' = [handled EXCEPT ![d.msg] = @ + 1]
    /\ UNCHANGED <<sent, state, delayed, attempts, tok, lease, epoch, dlq, up, closing, faults>>

(* MemEngine.ack: accepted when the token is m's latest (its lease is current, or expired and not leased  *)
(* again) and the hub incarnation is the same; otherwise stale: nothing changes. The flaw "stale-ack"     *)
(* accepts any token of a live message.                                                                    *)
AckAccepted(d) ==
    /\ d.epoch = epoch
    /\ state[d.msg] \in {"pending", "leased"}
    /\ (d.tok = tok[d.msg] \/ Flaw = "stale-ack")

Ack(d) ==
    /\ d \in inflight /\ d.phase = "ok"
    /\ inflight' = inflight \ {d}
    /\ IF AckAccepted(d)
       THEN /\ state' = [state EXCEPT ![d.msg] = "acked"]
            /\ lease' = [lease EXCEPT ![d.msg] = NoLease]
            /\ delayed' = [delayed EXCEPT ![d.msg] = FALSE]
       ELSE UNCHANGED <<state, lease, delayed>>
    /\ UNCHANGED <<sent, attempts, tok, epoch, handled, dlq, up, closing, faults>>

(* MemEngine.nack: only a current lease is released; available again after the delay. *)
Nack(d) ==
    /\ d \in inflight /\ d.phase = "fail" /\ d.att < MaxAttempts
    /\ inflight' = inflight \ {d}
    /\ IF d.epoch = epoch /\ state[d.msg] = "leased" /\ lease[d.msg].tok = d.tok
       THEN /\ state' = [state EXCEPT ![d.msg] = "pending"]
            /\ lease' = [lease EXCEPT ![d.msg] = NoLease]
            /\ delayed' = [delayed EXCEPT ![d.msg] = TRUE]
       ELSE UNCHANGED <<state, lease, delayed>>
    /\ UNCHANGED <<sent, attempts, tok, epoch, handled, dlq, up, closing, faults>>

(* The nack delay passes (abstract time). *)
Mature(m) ==
    /\ delayed[m]
    /\ delayed' = [delayed EXCEPT ![m] = FALSE]
    /\ UNCHANGED <<sent, state, attempts, tok, lease, epoch, inflight, handled, dlq, up, closing, faults>>

(* SubscriptionRuntime.deadLetter: the copy (payload and headers intact, C7) is sent first, then the       *)
(* delivery is acked (same acceptance rule as Ack: a stale one leaves the message where it is). With      *)
(* DeadLetterChecksLease (the fix), a stale delivery sends no copy: it is dropped like a stale ack.       *)
DeadLetter(d) ==
    /\ d \in inflight
    /\ \/ d.phase = "fail" /\ d.att >= MaxAttempts
       \/ d.phase = "new" /\ d.att > MaxAttempts
    /\ inflight' = inflight \ {d}
    /\ dlq' = IF DeadLetterChecksLease /\ ~AckAccepted(d) THEN dlq
             ELSE dlq \cup {[msg |-> d.msg, payload |-> Payload(d.msg), headers |-> Headers(d.msg), attempts |-> d.att]}
    /\ IF AckAccepted(d)
       THEN /\ state' = [state EXCEPT ![d.msg] = "dead"]
            /\ lease' = [lease EXCEPT ![d.msg] = NoLease]
            /\ delayed' = [delayed EXCEPT ![d.msg] = FALSE]
       ELSE UNCHANGED <<state, lease, delayed>>
    /\ UNCHANGED <<sent, attempts, tok, epoch, handled, up, closing, faults>>

(* Release every live lease held by member x (MemEngine.unregister). *)
Released(x) ==
    /\ state' = [m \in Msgs |-> IF state[m] = "leased" /\ lease[m].mem = x THEN "pending" ELSE state[m]]
    /\ lease' = [m \in Msgs |-> IF state[m] = "leased" /\ lease[m].mem = x THEN NoLease ELSE lease[m]]

(* A member's process dies: its handlers' memory is lost, its leases are released at once. The flaw       *)
(* "crash-keeps-leases" forgets to release them (and leases of a dead member never expire by themselves   *)
(* here: Expire is a fault, not fair), which only liveness can see.                                        *)
Crash(x) ==
    /\ faults < MaxFaults /\ up[x]
    /\ IF Flaw = "crash-keeps-leases" THEN UNCHANGED <<state, lease>> ELSE Released(x)
    /\ inflight' = {d \in inflight : d.mem # x}
    /\ up' = [up EXCEPT ![x] = FALSE]
    /\ closing' = [closing EXCEPT ![x] = FALSE]
    /\ faults' = faults + 1
    /\ UNCHANGED <<sent, delayed, attempts, tok, epoch, handled, dlq>>

(* The consumer's session is replaced (sim:// disconnect): leases released, handlers keep running and      *)
(* settle later through the new session.                                                                   *)
Disconnect(x) ==
    /\ faults < MaxFaults /\ up[x]
    /\ Released(x)
    /\ faults' = faults + 1
    /\ UNCHANGED <<sent, delayed, attempts, tok, epoch, inflight, handled, dlq, up, closing>>

(* C13: close() stops fetching; once the in-flight handlers have settled, the consumer unregisters. *)
Close(x) ==
    /\ faults < MaxFaults /\ up[x] /\ ~closing[x]
    /\ closing' = [closing EXCEPT ![x] = TRUE]
    /\ faults' = faults + 1
    /\ UNCHANGED <<sent, state, delayed, attempts, tok, lease, epoch, inflight, handled, dlq, up>>

Closed(x) ==
    /\ up[x] /\ closing[x]
    /\ \A d \in inflight : d.mem # x
    /\ Released(x)
    /\ up' = [up EXCEPT ![x] = FALSE]
    /\ closing' = [closing EXCEPT ![x] = FALSE]
    /\ UNCHANGED <<sent, delayed, attempts, tok, epoch, inflight, handled, dlq, faults>>

(* A member comes back (a new consumer registers). *)
Restart(x) ==
    /\ ~up[x]
    /\ up' = [up EXCEPT ![x] = TRUE]
    /\ UNCHANGED <<sent, state, delayed, attempts, tok, lease, epoch, inflight, handled, dlq, closing, faults>>

(* The hub crashes and restarts: memory (leases) lost, the journal (messages, attempt counts) survives;   *)
(* the new incarnation refuses settlements of leases made before (DurableQueues lease ids carry it).      *)
HubCrash ==
    /\ faults < MaxFaults
    /\ state' = [m \in Msgs |-> IF state[m] = "leased" THEN "pending" ELSE state[m]]
    /\ lease' = [m \in Msgs |-> NoLease]
    /\ epoch' = epoch + 1
    /\ faults' = faults + 1
    /\ UNCHANGED <<sent, delayed, attempts, tok, inflight, handled, dlq, up, closing>>

Progress ==
    \/ Send
    \/ \E x \in Members, m \in Msgs : Lease(x, m)
    \/ \E d \in inflight : Handle(d) \/ Ack(d) \/ Nack(d) \/ DeadLetter(d)
    \/ \E m \in Msgs : Mature(m)
    \/ \E x \in Members : Closed(x) \/ Restart(x)

Fault ==
    \/ \E m \in Msgs : Expire(m)
    \/ \E x \in Members : Crash(x) \/ Disconnect(x) \/ Close(x)
    \/ HubCrash

Next == Progress \/ Fault

Fairness ==
    /\ WF_vars(Send)
    /\ \A x \in Members : WF_vars(\E m \in Msgs : Lease(x, m))
    /\ WF_vars(\E d \in inflight : Handle(d))
    /\ WF_vars(\E d \in inflight : Ack(d) \/ Nack(d) \/ DeadLetter(d))
    /\ WF_vars(\E m \in Msgs : Mature(m))
    /\ \A x \in Members : WF_vars(Closed(x) \/ Restart(x))

Spec == Init /\ [][Next]_vars /\ Fairness

-----------------------------------------------------------------------------
(* Invariants *)

(* C1/C2: nothing accepted is lost: every accepted message is pending, leased, acked or dead-lettered,    *)
(* and a dead-lettered one has its copy in the dead letters.                                              *)
NothingLost ==
    \A m \in Msgs :
        /\ (m <= sent) <=> (state[m] # "unsent")
        /\ state[m] = "dead" => \E c \in dlq : c.msg = m

LiveLease(d) == d.epoch = epoch /\ state[d.msg] = "leased" /\ lease[d.msg].tok = d.tok /\ lease[d.msg].mem = d.mem

(* C3: at most one live lease per message, held by a live member. *)
OneLiveLease ==
    /\ \A d1, d2 \in inflight : (d1.msg = d2.msg /\ LiveLease(d1) /\ LiveLease(d2)) => d1 = d2
    /\ \A m \in Msgs : state[m] = "leased" => (up[lease[m].mem] /\ lease[m].tok = tok[m])

(* C9: a key's messages are leased in send order, one at a time: a leased keyed message has every older   *)
(* message of its key settled.                                                                            *)
KeyOrder ==
    \A m, o \in Msgs :
        (state[m] = "leased" /\ o < m /\ Key[m] # NoKey /\ Key[o] = Key[m]) => Done(o)

(* C15: a message is handled at most MaxAttempts times, lease expiries and redeliveries included. *)
AttemptsBounded == \A m \in Msgs : handled[m] <= MaxAttempts

(* C7: a dead letter keeps payload and headers (and says how many attempts it had). *)
DeadLetterIntact ==
    \A c \in dlq : c.payload = Payload(c.msg) /\ c.headers = Headers(c.msg) /\ c.attempts >= 1

(* A message is dead-lettered at most once, and an acked message never is. NOT an invariant of the code   *)
(* as implemented (DeadLetterOnce.cfg gives the counterexample); it holds with DeadLetterChecksLease.     *)
DeadLetterOnce ==
    \A m \in Msgs :
        /\ \A c1, c2 \in dlq : (c1.msg = m /\ c2.msg = m) => c1 = c2
        /\ state[m] = "acked" => ~\E c \in dlq : c.msg = m

(* Stale settlements change nothing: a live message is acked or dead-lettered only by the settlement of   *)
(* its latest delivery (an action property).                                                               *)
StaleSettlementInert ==
    [][\A m \in Msgs :
         (state[m] \in {"pending", "leased"} /\ state'[m] \in {"acked", "dead"}) =>
            \E d \in inflight \ inflight' : d.msg = m /\ d.tok = tok[m] /\ d.epoch = epoch]_vars

(* Liveness (C2): under weak fairness, while members keep coming back and receiving, every accepted       *)
(* message is eventually acked or dead-lettered.                                                          *)
EventuallySettled == \A m \in Msgs : <>Done(m)
=============================================================================
