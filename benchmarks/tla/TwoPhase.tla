------------------------------- MODULE TwoPhase -------------------------------
(***************************************************************************)
(* Two-phase commit of one transaction, after Gray and Lamport, "Consensus *)
(* on Transaction Commit" (2006), section 3.  Written to match             *)
(* specs/twophase.py state for state, so TLC and modelcheck can be timed   *)
(* on the same graph: 288 / 1,568 / 8,832 / 50,816 / 296,448 distinct      *)
(* states for 3 / 4 / 5 / 6 / 7 resource managers (TwoPhase_<n>.cfg).      *)
(* TwoPhase_<n>_sym.cfg adds TLC's symmetry reduction over the RMs.        *)
(*                                                                         *)
(* Messages go into one set that only grows: a message is never removed,   *)
(* so loss and duplication need no modelling.                              *)
(***************************************************************************)
EXTENDS TLC

CONSTANT RM  \* the resource managers

VARIABLES
  rmState,     \* rmState[r]: "working", "prepared", "committed" or "aborted"
  tmState,     \* the transaction manager: "init", "committed" or "aborted"
  tmPrepared,  \* the RMs the TM has received "Prepared" from
  msgs         \* every message ever sent

vars == <<rmState, tmState, tmPrepared, msgs>>

Message == [type : {"Prepared"}, rm : RM] \cup [type : {"Commit", "Abort"}]

TypeOK ==
  /\ rmState \in [RM -> {"working", "prepared", "committed", "aborted"}]
  /\ tmState \in {"init", "committed", "aborted"}
  /\ tmPrepared \subseteq RM
  /\ msgs \subseteq Message

Init ==
  /\ rmState = [r \in RM |-> "working"]
  /\ tmState = "init"
  /\ tmPrepared = {}
  /\ msgs = {}

\* The TM hears that r is prepared.
TMRcvPrepared(r) ==
  /\ tmState = "init"
  /\ [type |-> "Prepared", rm |-> r] \in msgs
  /\ r \notin tmPrepared
  /\ tmPrepared' = tmPrepared \cup {r}
  /\ UNCHANGED <<rmState, tmState, msgs>>

\* The TM commits once every RM is prepared.
TMCommit ==
  /\ tmState = "init"
  /\ tmPrepared = RM
  /\ tmState' = "committed"
  /\ msgs' = msgs \cup {[type |-> "Commit"]}
  /\ UNCHANGED <<rmState, tmPrepared>>

\* The TM may abort at any time before it decides.
TMAbort ==
  /\ tmState = "init"
  /\ tmState' = "aborted"
  /\ msgs' = msgs \cup {[type |-> "Abort"]}
  /\ UNCHANGED <<rmState, tmPrepared>>

RMPrepare(r) ==
  /\ rmState[r] = "working"
  /\ rmState' = [rmState EXCEPT ![r] = "prepared"]
  /\ msgs' = msgs \cup {[type |-> "Prepared", rm |-> r]}
  /\ UNCHANGED <<tmState, tmPrepared>>

RMChooseToAbort(r) ==
  /\ rmState[r] = "working"
  /\ rmState' = [rmState EXCEPT ![r] = "aborted"]
  /\ UNCHANGED <<tmState, tmPrepared, msgs>>

RMRcvCommitMsg(r) ==
  /\ [type |-> "Commit"] \in msgs
  /\ rmState' = [rmState EXCEPT ![r] = "committed"]
  /\ UNCHANGED <<tmState, tmPrepared, msgs>>

RMRcvAbortMsg(r) ==
  /\ [type |-> "Abort"] \in msgs
  /\ rmState' = [rmState EXCEPT ![r] = "aborted"]
  /\ UNCHANGED <<tmState, tmPrepared, msgs>>

Next ==
  \/ TMCommit \/ TMAbort
  \/ \E r \in RM :
       TMRcvPrepared(r) \/ RMPrepare(r) \/ RMChooseToAbort(r)
         \/ RMRcvCommitMsg(r) \/ RMRcvAbortMsg(r)

Spec == Init /\ [][Next]_vars

\* No RM has committed while another has aborted.
TCConsistent ==
  \A r1, r2 \in RM : ~ /\ rmState[r1] = "aborted"
                       /\ rmState[r2] = "committed"

\* For the symmetric configurations: resource managers are interchangeable.
RMPerms == Permutations(RM)
===============================================================================
