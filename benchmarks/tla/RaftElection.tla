----------------------------- MODULE RaftElection -----------------------------
(***************************************************************************)
(* Raft leader election (Ongaro and Ousterhout, USENIX ATC 2014, section   *)
(* 5.2 and the RequestVote RPC of Figure 2), written to match              *)
(* specs/raft_election.py run by modelcheck's actor layer state for state: *)
(* 1,111 distinct states for 3 servers and MaxTerm 1, 3,408,944 for        *)
(* MaxTerm 2.  benchmarks/reference.py (raft_election_bfs) spells out the  *)
(* same state by hand; this module follows it:                             *)
(*                                                                         *)
(*  - a server is its term, votedFor, role, the votes it has gathered as   *)
(*    candidate, and whether its election timer is armed (an untimed run:  *)
(*    an armed timer may fire at any step);                                *)
(*  - the network is an unordered multiset (a bag: message -> copies);     *)
(*    delivering a message removes one copy;                               *)
(*  - a ghost variable keeps every <<term, leader>> ever elected, so       *)
(*    Election Safety (Figure 3) is a plain invariant.                     *)
(*                                                                         *)
(* A server starts no election past MaxTerm: its timer is disarmed once    *)
(* its term reaches MaxTerm.  NoVotedForCheck = TRUE is the bug variant    *)
(* -p bug=no-voted-for-check: a vote is granted to every request of the    *)
(* current term.                                                           *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets, TLC

CONSTANTS Servers, MaxTerm, Nil, NoVotedForCheck

VARIABLES term, votedFor, role, votes, timer, net, elected

vars == <<term, votedFor, role, votes, timer, net, elected>>

IsMajority(S) == 2 * Cardinality(S) > Cardinality(Servers)

RequestVote(src, dst, t) ==
  [src |-> src, dst |-> dst, kind |-> "RequestVote", term |-> t, granted |-> FALSE]
Vote(src, dst, t, g) ==
  [src |-> src, dst |-> dst, kind |-> "Vote", term |-> t, granted |-> g]

\* The bag: a function from each message in flight to its number of copies (>= 1).
Send(bag, m) ==
  IF m \in DOMAIN bag THEN [bag EXCEPT ![m] = @ + 1] ELSE bag @@ (m :> 1)
SendAll(bag, ms) ==
  [m \in DOMAIN bag \cup ms |-> (IF m \in DOMAIN bag THEN bag[m] ELSE 0) + (IF m \in ms THEN 1 ELSE 0)]
Discard(bag, m) ==
  IF bag[m] = 1 THEN [x \in DOMAIN bag \ {m} |-> bag[x]] ELSE [bag EXCEPT ![m] = @ - 1]

Init ==
  /\ term = [s \in Servers |-> 0]
  /\ votedFor = [s \in Servers |-> Nil]
  /\ role = [s \in Servers |-> "follower"]
  /\ votes = [s \in Servers |-> {}]
  /\ timer = [s \in Servers |-> MaxTerm > 0]
  /\ net = <<>>          \* the empty bag (a function with an empty domain)
  /\ elected = {}

\* s's election timer fires: a new term, a vote for itself, RequestVote to all others.
\* A leader, or a server at MaxTerm, only disarms the timer.
Timeout(s) ==
  /\ timer[s]
  /\ IF role[s] = "leader" \/ term[s] >= MaxTerm
       THEN /\ timer' = [timer EXCEPT ![s] = FALSE]
            /\ UNCHANGED <<term, votedFor, role, votes, net, elected>>
       ELSE LET nt == term[s] + 1
                won == IsMajority({s})
            IN /\ term' = [term EXCEPT ![s] = nt]
               /\ votedFor' = [votedFor EXCEPT ![s] = s]
               /\ votes' = [votes EXCEPT ![s] = {s}]
               /\ role' = [role EXCEPT ![s] = IF won THEN "leader" ELSE "candidate"]
               /\ timer' = [timer EXCEPT ![s] = ~won /\ nt < MaxTerm]
               /\ elected' = IF won THEN elected \cup {<<nt, s>>} ELSE elected
               /\ net' = SendAll(net, {RequestVote(s, d, nt) : d \in Servers \ {s}})

\* One copy of m is delivered to m.dst.  A higher term is adopted first (the server
\* becomes a follower with no vote; a leader's timer, or the timer at MaxTerm, is reset).
Receive(m) ==
  LET d == m.dst
      newer == m.term > term[d]
      t == IF newer THEN m.term ELSE term[d]
      v == IF newer THEN Nil ELSE votedFor[d]
      r == IF newer THEN "follower" ELSE role[d]
      vs == IF newer THEN {} ELSE votes[d]
      tm == IF newer /\ (role[d] = "leader" \/ m.term >= MaxTerm) THEN m.term < MaxTerm ELSE timer[d]
      rest == Discard(net, m)
  IN /\ term' = [term EXCEPT ![d] = t]
     /\ IF m.kind = "RequestVote"
          THEN LET grant == m.term = t /\ (v = Nil \/ v = m.src \/ NoVotedForCheck)
               IN /\ votedFor' = [votedFor EXCEPT ![d] = IF grant THEN m.src ELSE v]
                  /\ role' = [role EXCEPT ![d] = r]
                  /\ votes' = [votes EXCEPT ![d] = vs]
                  /\ timer' = [timer EXCEPT ![d] = tm]
                  /\ net' = Send(rest, Vote(d, m.src, t, grant))
                  /\ elected' = elected
          ELSE LET counted == m.granted /\ r = "candidate" /\ m.term = t
                   nvs == IF counted THEN vs \cup {m.src} ELSE vs
                   won == counted /\ IsMajority(nvs)
               IN /\ votedFor' = [votedFor EXCEPT ![d] = v]
                  /\ role' = [role EXCEPT ![d] = IF won THEN "leader" ELSE r]
                  /\ votes' = [votes EXCEPT ![d] = nvs]
                  /\ timer' = [timer EXCEPT ![d] = IF won THEN FALSE ELSE tm]
                  /\ net' = rest
                  /\ elected' = IF won THEN elected \cup {<<t, d>>} ELSE elected

Next == (\E s \in Servers : Timeout(s)) \/ (\E m \in DOMAIN net : Receive(m))

Spec == Init /\ [][Next]_vars

\* Election Safety (Figure 3): at most one leader is elected in each term, ever.
ElectionSafety == \A x, y \in elected : x[1] = y[1] => x = y

\* For the symmetric configuration: servers are interchangeable.
ServerPerms == Permutations(Servers)
===============================================================================
