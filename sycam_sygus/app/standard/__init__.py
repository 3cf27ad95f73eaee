"""Standard SyGuS problems (any logic but SYCAM): PBE and CEGIS over the shared enumerator, with the
examples backend, an SMT verifier (cvc5) and the competition answer printer."""
