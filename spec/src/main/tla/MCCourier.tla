------------------------------ MODULE MCCourier ------------------------------
(* The model TLC checks: 2 members, 3 messages (1 and 2 share ordering key "k", 3 is sticky to member "a"). *)
EXTENDS Courier

MCKey == [m \in 1..3 |-> IF m \in {1, 2} THEN "k" ELSE "none"]
MCDest == [m \in 1..3 |-> IF m = 3 THEN "a" ELSE "any"]
=============================================================================
