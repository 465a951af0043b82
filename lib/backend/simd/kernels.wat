;; Training kernels in WebAssembly SIMD (four float32 lanes), run directly on the tfjs wasm backend's heap: the module
;; imports that backend's memory, and every pointer is a byte offset into it. The element-wise functions handle the
;; first n4 groups of four elements and the caller (lib/backend/simd/module.ts) does the last n % 4 in JavaScript with
;; the same formulas; the row-wise ones (LayerNorm, row sums, transpose) need widths that are multiples of 4.
;; Compiled by scripts/build-simd.mjs into kernels-wasm.ts (the memory import as written here, and a second copy
;; importing shared memory for tfjs's threaded build); a unit test checks the two stay in step.
(module
  (import "env" "memory" (memory 1))

  ;; exp(y) for y <= 0 (Cephes expf: y = k·ln2 + r, |r| <= ln2/2, a degree-7 polynomial in r, times 2^k); 0 below
  ;; -87.3, where exp(y) is under float32's smallest normal number
  (func $exp_neg (param $y v128) (result v128)
    (local $k v128) (local $r v128) (local $p v128) (local $under v128)
    (local.set $under (f32x4.lt (local.get $y) (f32x4.splat (f32.const -87.3))))
    (local.set $y (f32x4.max (local.get $y) (f32x4.splat (f32.const -87.3))))
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $y) (f32x4.splat (f32.const 1.44269504088896341)))))
    (local.set $r (f32x4.sub (local.get $y) (f32x4.mul (local.get $k) (f32x4.splat (f32.const 0.693359375)))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $k) (f32x4.splat (f32.const -2.12194440e-4)))))
    (local.set $p (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
    (local.set $p
      (f32x4.add
        (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
        (f32x4.splat (f32.const 1))))
    ;; 2^k from the exponent bits: k >= -126 after the clamp, so a normal float
    (v128.andnot
      (f32x4.mul
        (local.get $p)
        (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k)) (i32x4.splat (i32.const 127))) (i32.const 23)))
      (local.get $under)))

  ;; GELU's pieces for x: returns Φ(x) = P(X <= x) for a standard normal X, and sets $e to exp(-x²/2).
  ;; 1 - erf(a) for a = |x|/√2 >= 0 is t·(a1 + t·(a2 + … + t·a5))·exp(-a²), t = 1/(1 + p·a) (Abramowitz & Stegun
  ;; 7.1.26, |error| <= 1.5e-7); Φ(x) is 1 - q/2 for x >= 0 and q/2 below, so the left tail keeps its relative precision.
  (global $e (mut v128) (v128.const i32x4 0 0 0 0))
  (func $phi (param $x v128) (result v128)
    (local $a v128) (local $t v128) (local $q v128) (local $half v128)
    (local.set $a (f32x4.mul (f32x4.abs (local.get $x)) (f32x4.splat (f32.const 0.70710678118654752))))
    (local.set $t
      (f32x4.div
        (f32x4.splat (f32.const 1))
        (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $a) (f32x4.splat (f32.const 0.3275911))))))
    (global.set $e (call $exp_neg (f32x4.neg (f32x4.mul (local.get $a) (local.get $a)))))
    (local.set $q (f32x4.splat (f32.const 1.061405429)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const -1.453152027))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const 1.421413741))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const -0.284496736))))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (f32x4.splat (f32.const 0.254829592))))
    (local.set $half (f32x4.mul (f32x4.mul (f32x4.mul (local.get $q) (local.get $t)) (global.get $e)) (f32x4.splat (f32.const 0.5))))
    (v128.bitselect
      (local.get $half)
      (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $half))
      (f32x4.lt (local.get $x) (f32x4.splat (f32.const 0)))))

  ;; y = x·Φ(x)
  (func (export "gelu") (param $x i32) (param $y i32) (param $n4 i32)
    (local $o i32) (local $end i32) (local $v v128)
    (local.set $end (i32.shl (local.get $n4) (i32.const 4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $o))))
        (v128.store (i32.add (local.get $y) (local.get $o)) (f32x4.mul (local.get $v) (call $phi (local.get $v))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next))))

  ;; dx = dy·(Φ(x) + x·exp(-x²/2)/√(2π))
  (func (export "gelu_grad") (param $dy i32) (param $x i32) (param $dx i32) (param $n4 i32)
    (local $o i32) (local $end i32) (local $v v128) (local $p v128)
    (local.set $end (i32.shl (local.get $n4) (i32.const 4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $o))))
        (local.set $p (call $phi (local.get $v)))
        (v128.store
          (i32.add (local.get $dx) (local.get $o))
          (f32x4.mul
            (v128.load (i32.add (local.get $dy) (local.get $o)))
            (f32x4.add
              (local.get $p)
              (f32x4.mul (f32x4.mul (local.get $v) (global.get $e)) (f32x4.splat (f32.const 0.39894228040143268))))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next))))

  ;; GELU with its derivative for the backward pass, over rows of c floats (c a multiple of 4), with a bias row b
  ;; added first where $bias is 1: z = x + b, y = z·Φ(z), d = Φ(z) + z·exp(-z²/2)/√(2π) (the same formulas as gelu and
  ;; gelu_grad: a training step keeps d instead of z, and its backward is dy·d). Two groups of four at a time with
  ;; $phi and $exp_neg written out and interleaved — the same operations in the same order, so the same values (a
  ;; unit test compares the two paths bit for bit) — so that their two dependency chains overlap: 2.8 ms against 4.2
  ;; for [2048, 512] here. Calling a two-group $phi returning four values instead measured 5.1 ms (V8 does not
  ;; inline it), so the body is written out here once; the last group of a row takes $phi
  (func (export "gelu_d")
    (param $x i32) (param $b i32) (param $y i32) (param $d i32) (param $rows i32) (param $c i32) (param $bias i32)
    (local $r i32) (local $o i32) (local $row i32) (local $cb i32) (local $c8b i32) (local $z v128) (local $p v128)
    (local $z0 v128) (local $a0 v128) (local $t0 v128) (local $yy0 v128) (local $u0 v128) (local $k0 v128)
    (local $r0 v128) (local $p0 v128) (local $e0 v128) (local $q0 v128) (local $h0 v128) (local $ph0 v128)
    (local $z1 v128) (local $a1 v128) (local $t1 v128) (local $yy1 v128) (local $u1 v128) (local $k1 v128)
    (local $r1 v128) (local $p1 v128) (local $e1 v128) (local $q1 v128) (local $h1 v128) (local $ph1 v128)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $c8b (i32.and (local.get $cb) (i32.const -32)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $row (i32.mul (local.get $r) (local.get $cb)))
        (local.set $o (i32.const 0))
        (block $pairs_done
          (loop $pairs
            (br_if $pairs_done (i32.ge_u (local.get $o) (local.get $c8b)))
            (local.set $z0 (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $o)))))
            (if (local.get $bias)
              (then (local.set $z0 (f32x4.add (local.get $z0) (v128.load (i32.add (local.get $b) (local.get $o)))))))
            (local.set $z1
              (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (i32.add (local.get $o) (i32.const 16))))))
            (if (local.get $bias)
              (then
                (local.set $z1
                  (f32x4.add
                    (local.get $z1)
                    (v128.load (i32.add (local.get $b) (i32.add (local.get $o) (i32.const 16))))))))
            (local.set $a0 (f32x4.mul (f32x4.abs (local.get $z0)) (f32x4.splat (f32.const 0.70710678118654752))))
            (local.set $a1 (f32x4.mul (f32x4.abs (local.get $z1)) (f32x4.splat (f32.const 0.70710678118654752))))
            (local.set $t0
              (f32x4.div
                (f32x4.splat (f32.const 1))
                (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $a0) (f32x4.splat (f32.const 0.3275911))))))
            (local.set $t1
              (f32x4.div
                (f32x4.splat (f32.const 1))
                (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $a1) (f32x4.splat (f32.const 0.3275911))))))
            (local.set $yy0 (f32x4.neg (f32x4.mul (local.get $a0) (local.get $a0))))
            (local.set $yy1 (f32x4.neg (f32x4.mul (local.get $a1) (local.get $a1))))
            (local.set $u0 (f32x4.lt (local.get $yy0) (f32x4.splat (f32.const -87.3))))
            (local.set $u1 (f32x4.lt (local.get $yy1) (f32x4.splat (f32.const -87.3))))
            (local.set $yy0 (f32x4.max (local.get $yy0) (f32x4.splat (f32.const -87.3))))
            (local.set $yy1 (f32x4.max (local.get $yy1) (f32x4.splat (f32.const -87.3))))
            (local.set $k0 (f32x4.nearest (f32x4.mul (local.get $yy0) (f32x4.splat (f32.const 1.44269504088896341)))))
            (local.set $k1 (f32x4.nearest (f32x4.mul (local.get $yy1) (f32x4.splat (f32.const 1.44269504088896341)))))
            (local.set $r0
              (f32x4.sub (local.get $yy0) (f32x4.mul (local.get $k0) (f32x4.splat (f32.const 0.693359375)))))
            (local.set $r1
              (f32x4.sub (local.get $yy1) (f32x4.mul (local.get $k1) (f32x4.splat (f32.const 0.693359375)))))
            (local.set $r0
              (f32x4.sub (local.get $r0) (f32x4.mul (local.get $k0) (f32x4.splat (f32.const -2.12194440e-4)))))
            (local.set $r1
              (f32x4.sub (local.get $r1) (f32x4.mul (local.get $k1) (f32x4.splat (f32.const -2.12194440e-4)))))
            (local.set $p0 (f32x4.splat (f32.const 1.9875691500e-4)))
            (local.set $p1 (f32x4.splat (f32.const 1.9875691500e-4)))
            (local.set $p0
              (f32x4.add (f32x4.mul (local.get $p0) (local.get $r0)) (f32x4.splat (f32.const 1.3981999507e-3))))
            (local.set $p1
              (f32x4.add (f32x4.mul (local.get $p1) (local.get $r1)) (f32x4.splat (f32.const 1.3981999507e-3))))
            (local.set $p0
              (f32x4.add (f32x4.mul (local.get $p0) (local.get $r0)) (f32x4.splat (f32.const 8.3334519073e-3))))
            (local.set $p1
              (f32x4.add (f32x4.mul (local.get $p1) (local.get $r1)) (f32x4.splat (f32.const 8.3334519073e-3))))
            (local.set $p0
              (f32x4.add (f32x4.mul (local.get $p0) (local.get $r0)) (f32x4.splat (f32.const 4.1665795894e-2))))
            (local.set $p1
              (f32x4.add (f32x4.mul (local.get $p1) (local.get $r1)) (f32x4.splat (f32.const 4.1665795894e-2))))
            (local.set $p0
              (f32x4.add (f32x4.mul (local.get $p0) (local.get $r0)) (f32x4.splat (f32.const 1.6666665459e-1))))
            (local.set $p1
              (f32x4.add (f32x4.mul (local.get $p1) (local.get $r1)) (f32x4.splat (f32.const 1.6666665459e-1))))
            (local.set $p0
              (f32x4.add (f32x4.mul (local.get $p0) (local.get $r0)) (f32x4.splat (f32.const 5.0000001201e-1))))
            (local.set $p1
              (f32x4.add (f32x4.mul (local.get $p1) (local.get $r1)) (f32x4.splat (f32.const 5.0000001201e-1))))
            (local.set $p0
              (f32x4.add
                (f32x4.add (f32x4.mul (local.get $p0) (f32x4.mul (local.get $r0) (local.get $r0))) (local.get $r0))
                (f32x4.splat (f32.const 1))))
            (local.set $p1
              (f32x4.add
                (f32x4.add (f32x4.mul (local.get $p1) (f32x4.mul (local.get $r1) (local.get $r1))) (local.get $r1))
                (f32x4.splat (f32.const 1))))
            (local.set $e0
              (v128.andnot
                (f32x4.mul
                  (local.get $p0)
                  (i32x4.shl
                    (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k0)) (i32x4.splat (i32.const 127)))
                    (i32.const 23)))
                (local.get $u0)))
            (local.set $e1
              (v128.andnot
                (f32x4.mul
                  (local.get $p1)
                  (i32x4.shl
                    (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $k1)) (i32x4.splat (i32.const 127)))
                    (i32.const 23)))
                (local.get $u1)))
            (local.set $q0 (f32x4.splat (f32.const 1.061405429)))
            (local.set $q1 (f32x4.splat (f32.const 1.061405429)))
            (local.set $q0
              (f32x4.add (f32x4.mul (local.get $q0) (local.get $t0)) (f32x4.splat (f32.const -1.453152027))))
            (local.set $q1
              (f32x4.add (f32x4.mul (local.get $q1) (local.get $t1)) (f32x4.splat (f32.const -1.453152027))))
            (local.set $q0
              (f32x4.add (f32x4.mul (local.get $q0) (local.get $t0)) (f32x4.splat (f32.const 1.421413741))))
            (local.set $q1
              (f32x4.add (f32x4.mul (local.get $q1) (local.get $t1)) (f32x4.splat (f32.const 1.421413741))))
            (local.set $q0
              (f32x4.add (f32x4.mul (local.get $q0) (local.get $t0)) (f32x4.splat (f32.const -0.284496736))))
            (local.set $q1
              (f32x4.add (f32x4.mul (local.get $q1) (local.get $t1)) (f32x4.splat (f32.const -0.284496736))))
            (local.set $q0
              (f32x4.add (f32x4.mul (local.get $q0) (local.get $t0)) (f32x4.splat (f32.const 0.254829592))))
            (local.set $q1
              (f32x4.add (f32x4.mul (local.get $q1) (local.get $t1)) (f32x4.splat (f32.const 0.254829592))))
            (local.set $h0
              (f32x4.mul (f32x4.mul (f32x4.mul (local.get $q0) (local.get $t0)) (local.get $e0)) (f32x4.splat (f32.const 0.5))))
            (local.set $h1
              (f32x4.mul (f32x4.mul (f32x4.mul (local.get $q1) (local.get $t1)) (local.get $e1)) (f32x4.splat (f32.const 0.5))))
            (local.set $ph0
              (v128.bitselect
                (local.get $h0)
                (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $h0))
                (f32x4.lt (local.get $z0) (f32x4.splat (f32.const 0)))))
            (local.set $ph1
              (v128.bitselect
                (local.get $h1)
                (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $h1))
                (f32x4.lt (local.get $z1) (f32x4.splat (f32.const 0)))))
            (v128.store (i32.add (local.get $y) (i32.add (local.get $row) (local.get $o))) (f32x4.mul (local.get $z0) (local.get $ph0)))
            (v128.store (i32.add (local.get $d) (i32.add (local.get $row) (local.get $o)))
              (f32x4.add
                (local.get $ph0)
                (f32x4.mul (f32x4.mul (local.get $z0) (local.get $e0)) (f32x4.splat (f32.const 0.39894228040143268)))))
            (v128.store
              (i32.add (local.get $y) (i32.add (local.get $row) (i32.add (local.get $o) (i32.const 16))))
              (f32x4.mul (local.get $z1) (local.get $ph1)))
            (v128.store (i32.add (local.get $d) (i32.add (local.get $row) (i32.add (local.get $o) (i32.const 16))))
              (f32x4.add
                (local.get $ph1)
                (f32x4.mul (f32x4.mul (local.get $z1) (local.get $e1)) (f32x4.splat (f32.const 0.39894228040143268)))))
            (local.set $o (i32.add (local.get $o) (i32.const 32)))
            (br $pairs)))
        ;; a last group of four
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $o) (local.get $cb)))
            (local.set $z (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $o)))))
            (if (local.get $bias)
              (then (local.set $z (f32x4.add (local.get $z) (v128.load (i32.add (local.get $b) (local.get $o)))))))
            (local.set $p (call $phi (local.get $z)))
            (v128.store (i32.add (local.get $y) (i32.add (local.get $row) (local.get $o))) (f32x4.mul (local.get $z) (local.get $p)))
            (v128.store
              (i32.add (local.get $d) (i32.add (local.get $row) (local.get $o)))
              (f32x4.add
                (local.get $p)
                (f32x4.mul (f32x4.mul (local.get $z) (global.get $e)) (f32x4.splat (f32.const 0.39894228040143268)))))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br $next)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; Softmax's backward over rows of c floats (any c): dx = s·y·(dy − Σ dy·y), the sum per row
  (func (export "softmax_grad")
    (param $dy i32) (param $y i32) (param $dx i32) (param $rows i32) (param $c i32) (param $s f32)
    (local $r i32) (local $o i32) (local $cb i32) (local $c4b i32) (local $row i32) (local $vsum v128) (local $sum f32)
    (local $yv v128)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $c4b (i32.shl (i32.and (local.get $c) (i32.const -4)) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $row (i32.mul (local.get $r) (local.get $cb)))
        (local.set $vsum (v128.const i32x4 0 0 0 0))
        (local.set $sum (f32.const 0))
        (local.set $o (i32.const 0))
        (block $d1
          (loop $l1
            (br_if $d1 (i32.ge_u (local.get $o) (local.get $c4b)))
            (local.set $vsum
              (f32x4.add
                (local.get $vsum)
                (f32x4.mul
                  (v128.load (i32.add (local.get $dy) (i32.add (local.get $row) (local.get $o))))
                  (v128.load (i32.add (local.get $y) (i32.add (local.get $row) (local.get $o)))))))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br $l1)))
        (block $t1
          (loop $tl1
            (br_if $t1 (i32.ge_u (local.get $o) (local.get $cb)))
            (local.set $sum
              (f32.add
                (local.get $sum)
                (f32.mul
                  (f32.load (i32.add (local.get $dy) (i32.add (local.get $row) (local.get $o))))
                  (f32.load (i32.add (local.get $y) (i32.add (local.get $row) (local.get $o)))))))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $tl1)))
        (local.set $sum (f32.add (call $hsum (local.get $vsum)) (local.get $sum)))
        (local.set $o (i32.const 0))
        (block $d2
          (loop $l2
            (br_if $d2 (i32.ge_u (local.get $o) (local.get $c4b)))
            (local.set $yv (v128.load (i32.add (local.get $y) (i32.add (local.get $row) (local.get $o)))))
            (v128.store
              (i32.add (local.get $dx) (i32.add (local.get $row) (local.get $o)))
              (f32x4.mul
                (f32x4.mul (local.get $yv) (f32x4.splat (local.get $s)))
                (f32x4.sub
                  (v128.load (i32.add (local.get $dy) (i32.add (local.get $row) (local.get $o))))
                  (f32x4.splat (local.get $sum)))))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br $l2)))
        (block $t2
          (loop $tl2
            (br_if $t2 (i32.ge_u (local.get $o) (local.get $cb)))
            (f32.store
              (i32.add (local.get $dx) (i32.add (local.get $row) (local.get $o)))
              (f32.mul
                (f32.mul (f32.load (i32.add (local.get $y) (i32.add (local.get $row) (local.get $o)))) (local.get $s))
                (f32.sub (f32.load (i32.add (local.get $dy) (i32.add (local.get $row) (local.get $o)))) (local.get $sum))))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $tl2)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; One Adam/AdamW step in place: g' = g·gs + p·l2, m = m·b1 + g'·a1, v = v·b2 + g'²·a2,
  ;; p = p·decay − m / (√v·ib + eps) · ss (the constants as lib/train/optimizer.ts defines them)
  (func (export "adam")
    (param $p i32) (param $m i32) (param $v i32) (param $g i32) (param $n4 i32)
    (param $gs f32) (param $l2 f32) (param $b1 f32) (param $a1 f32) (param $b2 f32) (param $a2 f32)
    (param $ib f32) (param $eps f32) (param $ss f32) (param $decay f32)
    (local $o i32) (local $end i32)
    (local $GS v128) (local $L2 v128) (local $B1 v128) (local $A1 v128) (local $B2 v128) (local $A2 v128)
    (local $IB v128) (local $EPS v128) (local $SS v128) (local $DEC v128)
    (local $pi v128) (local $gi v128) (local $mi v128) (local $vi v128)
    (local.set $GS (f32x4.splat (local.get $gs)))
    (local.set $L2 (f32x4.splat (local.get $l2)))
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $A1 (f32x4.splat (local.get $a1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $A2 (f32x4.splat (local.get $a2)))
    (local.set $IB (f32x4.splat (local.get $ib)))
    (local.set $EPS (f32x4.splat (local.get $eps)))
    (local.set $SS (f32x4.splat (local.get $ss)))
    (local.set $DEC (f32x4.splat (local.get $decay)))
    (local.set $end (i32.shl (local.get $n4) (i32.const 4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $pi (v128.load (i32.add (local.get $p) (local.get $o))))
        (local.set $gi
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $o))) (local.get $GS))
            (f32x4.mul (local.get $pi) (local.get $L2))))
        (local.set $mi
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $o))) (local.get $B1))
            (f32x4.mul (local.get $gi) (local.get $A1))))
        (local.set $vi
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $o))) (local.get $B2))
            (f32x4.mul (f32x4.mul (local.get $gi) (local.get $gi)) (local.get $A2))))
        (v128.store (i32.add (local.get $m) (local.get $o)) (local.get $mi))
        (v128.store (i32.add (local.get $v) (local.get $o)) (local.get $vi))
        (v128.store
          (i32.add (local.get $p) (local.get $o))
          (f32x4.sub
            (f32x4.mul (local.get $pi) (local.get $DEC))
            (f32x4.mul
              (f32x4.div
                (local.get $mi)
                (f32x4.add (f32x4.mul (f32x4.sqrt (local.get $vi)) (local.get $IB)) (local.get $EPS)))
              (local.get $SS))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next))))

  ;; avg = avg·d + p·e (the weight average's update; e = 1 − d)
  (func (export "average") (param $avg i32) (param $p i32) (param $n4 i32) (param $d f32) (param $e f32)
    (local $o i32) (local $end i32) (local $D v128) (local $E v128)
    (local.set $D (f32x4.splat (local.get $d)))
    (local.set $E (f32x4.splat (local.get $e)))
    (local.set $end (i32.shl (local.get $n4) (i32.const 4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store
          (i32.add (local.get $avg) (local.get $o))
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $avg) (local.get $o))) (local.get $D))
            (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $o))) (local.get $E))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next))))

  ;; Σ x² in double precision (two f64 lanes per half of each group of four; the lanes added at the end, in order)
  (func (export "sumsq") (param $x i32) (param $n4 i32) (result f64)
    (local $o i32) (local $end i32) (local $v v128) (local $lo v128) (local $hi v128) (local $d v128)
    (local.set $end (i32.shl (local.get $n4) (i32.const 4)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $o))))
        (local.set $d (f64x2.promote_low_f32x4 (local.get $v)))
        (local.set $lo (f64x2.add (local.get $lo) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $d
          (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))))
        (local.set $hi (f64x2.add (local.get $hi) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next)))
    (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
    (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))
;; the four lanes' sum
  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

;; LayerNorm over rows of h floats (h a multiple of 4): y = (x − mean)·rstd·g + b, rstd = 1/√(var + eps), in double
  ;; precision two lanes at a time (as the JavaScript loop it replaces: hidden states stay within 1e-6 of Hugging Face's
  ;; over 24 layers); writes each row's mean and rstd for the backward pass
  (func (export "layer_norm")
    (param $x i32) (param $g i32) (param $b i32) (param $y i32) (param $mean i32) (param $rstd i32)
    (param $n i32) (param $h i32) (param $eps f32)
    (local $r i32) (local $o i32) (local $row i32) (local $bytes i32) (local $v v128) (local $lo v128) (local $hi v128)
    (local $d v128) (local $mu f64) (local $rs f64) (local $MU v128) (local $RS v128) (local $gv v128) (local $bv v128)
    (local.set $bytes (i32.shl (local.get $h) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $row (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $bytes))))
        ;; mean
        (local.set $lo (v128.const i32x4 0 0 0 0))
        (local.set $hi (v128.const i32x4 0 0 0 0))
        (local.set $o (i32.const 0))
        (block $d1 (loop $l1
          (br_if $d1 (i32.ge_u (local.get $o) (local.get $bytes)))
          (local.set $v (v128.load (i32.add (local.get $row) (local.get $o))))
          (local.set $lo (f64x2.add (local.get $lo) (f64x2.promote_low_f32x4 (local.get $v))))
          (local.set $hi (f64x2.add (local.get $hi) (f64x2.promote_low_f32x4 (call $upper (local.get $v)))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br $l1)))
        (local.set $mu (f64.div (call $hsum64 (f64x2.add (local.get $lo) (local.get $hi))) (f64.convert_i32_u (local.get $h))))
        (local.set $MU (f64x2.splat (local.get $mu)))
        ;; variance
        (local.set $lo (v128.const i32x4 0 0 0 0))
        (local.set $hi (v128.const i32x4 0 0 0 0))
        (local.set $o (i32.const 0))
        (block $d2 (loop $l2
          (br_if $d2 (i32.ge_u (local.get $o) (local.get $bytes)))
          (local.set $v (v128.load (i32.add (local.get $row) (local.get $o))))
          (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $MU)))
          (local.set $lo (f64x2.add (local.get $lo) (f64x2.mul (local.get $d) (local.get $d))))
          (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (call $upper (local.get $v))) (local.get $MU)))
          (local.set $hi (f64x2.add (local.get $hi) (f64x2.mul (local.get $d) (local.get $d))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br $l2)))
        (local.set $rs
          (f64.div
            (f64.const 1)
            (f64.sqrt
              (f64.add
                (f64.div (call $hsum64 (f64x2.add (local.get $lo) (local.get $hi))) (f64.convert_i32_u (local.get $h)))
                (f64.promote_f32 (local.get $eps))))))
        (local.set $RS (f64x2.splat (local.get $rs)))
        ;; y, each half of four lanes in double precision, then back to float32
        (local.set $o (i32.const 0))
        (block $d3 (loop $l3
          (br_if $d3 (i32.ge_u (local.get $o) (local.get $bytes)))
          (local.set $v (v128.load (i32.add (local.get $row) (local.get $o))))
          (local.set $gv (v128.load (i32.add (local.get $g) (local.get $o))))
          (local.set $bv (v128.load (i32.add (local.get $b) (local.get $o))))
          (local.set $lo
            (f32x4.demote_f64x2_zero
              (f64x2.add
                (f64x2.mul
                  (f64x2.mul (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $MU)) (local.get $RS))
                  (f64x2.promote_low_f32x4 (local.get $gv)))
                (f64x2.promote_low_f32x4 (local.get $bv)))))
          (local.set $hi
            (f32x4.demote_f64x2_zero
              (f64x2.add
                (f64x2.mul
                  (f64x2.mul
                    (f64x2.sub (f64x2.promote_low_f32x4 (call $upper (local.get $v))) (local.get $MU))
                    (local.get $RS))
                  (f64x2.promote_low_f32x4 (call $upper (local.get $gv))))
                (f64x2.promote_low_f32x4 (call $upper (local.get $bv))))))
          (v128.store
            (i32.add (local.get $y) (i32.add (i32.mul (local.get $r) (local.get $bytes)) (local.get $o)))
            (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $lo) (local.get $hi)))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br $l3)))
        (f32.store (i32.add (local.get $mean) (i32.shl (local.get $r) (i32.const 2))) (f32.demote_f64 (local.get $mu)))
        (f32.store (i32.add (local.get $rstd) (i32.shl (local.get $r) (i32.const 2))) (f32.demote_f64 (local.get $rs)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows))))

  ;; lanes 2 and 3 moved to 0 and 1 (for promote_low)
  (func $upper (param $v v128) (result v128)
    (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v)))

  ;; the two f64 lanes' sum
  (func $hsum64 (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))

  ;; LayerNorm's backward (h a multiple of 4): with x̂ = (x − mean)·rstd and g' = dy·gamma,
  ;; dx = rstd·(g' − mean(g') − x̂·mean(g'·x̂)); dgamma = Σ_rows dy·x̂ and dbeta = Σ_rows dy, summed in double precision
  ;; in $acc (16·h bytes of scratch)
  (func (export "layer_norm_grad")
    (param $dy i32) (param $x i32) (param $g i32) (param $mean i32) (param $rstd i32)
    (param $dx i32) (param $dg i32) (param $db i32) (param $n i32) (param $h i32) (param $acc i32)
    (local $r i32) (local $o i32) (local $row i32) (local $bytes i32)
    (local $MU v128) (local $RS v128) (local $xh v128) (local $d v128) (local $gg v128) (local $sg v128) (local $sgx v128)
    (local $MG v128) (local $MGX v128) (local $inv f32)
    (local.set $bytes (i32.shl (local.get $h) (i32.const 2)))
    (local.set $inv (f32.div (f32.const 1) (f32.convert_i32_u (local.get $h))))
    ;; dgamma's and dbeta's sums in double precision: h doubles each at $acc
    (memory.fill (local.get $acc) (i32.const 0) (i32.shl (local.get $bytes) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $row (i32.mul (local.get $r) (local.get $bytes)))
        (local.set $MU (v128.load32_splat (i32.add (local.get $mean) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $RS (v128.load32_splat (i32.add (local.get $rstd) (i32.shl (local.get $r) (i32.const 2)))))
        (local.set $sg (v128.const i32x4 0 0 0 0))
        (local.set $sgx (v128.const i32x4 0 0 0 0))
        (local.set $o (i32.const 0))
        (block $d1 (loop $l1
          (br_if $d1 (i32.ge_u (local.get $o) (local.get $bytes)))
          (local.set $xh
            (f32x4.mul
              (f32x4.sub (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $o)))) (local.get $MU))
              (local.get $RS)))
          (local.set $d (v128.load (i32.add (local.get $dy) (i32.add (local.get $row) (local.get $o)))))
          (local.set $gg (f32x4.mul (local.get $d) (v128.load (i32.add (local.get $g) (local.get $o)))))
          (local.set $sg (f32x4.add (local.get $sg) (local.get $gg)))
          (local.set $sgx (f32x4.add (local.get $sgx) (f32x4.mul (local.get $gg) (local.get $xh))))
          (call $accumulate (i32.add (local.get $acc) (i32.shl (local.get $o) (i32.const 1)))
            (f32x4.mul (local.get $d) (local.get $xh)))
          (call $accumulate
            (i32.add (local.get $acc) (i32.add (i32.shl (local.get $bytes) (i32.const 1)) (i32.shl (local.get $o) (i32.const 1))))
            (local.get $d))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br $l1)))
        (local.set $MG (f32x4.splat (f32.mul (call $hsum (local.get $sg)) (local.get $inv))))
        (local.set $MGX (f32x4.splat (f32.mul (call $hsum (local.get $sgx)) (local.get $inv))))
        (local.set $o (i32.const 0))
        (block $d2 (loop $l2
          (br_if $d2 (i32.ge_u (local.get $o) (local.get $bytes)))
          (local.set $xh
            (f32x4.mul
              (f32x4.sub (v128.load (i32.add (local.get $x) (i32.add (local.get $row) (local.get $o)))) (local.get $MU))
              (local.get $RS)))
          (v128.store
            (i32.add (local.get $dx) (i32.add (local.get $row) (local.get $o)))
            (f32x4.mul
              (local.get $RS)
              (f32x4.sub
                (f32x4.sub
                  (f32x4.mul
                    (v128.load (i32.add (local.get $dy) (i32.add (local.get $row) (local.get $o))))
                    (v128.load (i32.add (local.get $g) (local.get $o))))
                  (local.get $MG))
                (f32x4.mul (local.get $xh) (local.get $MGX)))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br $l2)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rows)))
    (call $demote_into (local.get $acc) (local.get $dg) (local.get $h))
    (call $demote_into (i32.add (local.get $acc) (i32.shl (local.get $bytes) (i32.const 1))) (local.get $db) (local.get $h)))

  ;; rows copies of rowBytes bytes: row i from src + i·srcStride to dst + i·dstStride (concatenation's inner loop)
  (func (export "copy_rows") (param $src i32) (param $dst i32) (param $rows i32) (param $rowBytes i32)
    (param $srcStride i32) (param $dstStride i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $rows)))
        (memory.copy (local.get $dst) (local.get $src) (local.get $rowBytes))
        (local.set $src (i32.add (local.get $src) (local.get $srcStride)))
        (local.set $dst (i32.add (local.get $dst) (local.get $dstStride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

;; out[j] = Σ_i x[i, j] over r rows of c floats, c a multiple of 4 (a bias gradient: dy summed over tokens), summed in
  ;; double precision in $acc (8·c bytes of scratch), so a sum over the shards of a batch matches the whole batch's
  (func (export "sum_rows") (param $x i32) (param $out i32) (param $r i32) (param $c i32) (param $acc i32)
    (local $i i32) (local $o i32) (local $bytes i32) (local $row i32)
    (local.set $bytes (i32.shl (local.get $c) (i32.const 2)))
    (memory.fill (local.get $acc) (i32.const 0) (i32.shl (local.get $bytes) (i32.const 1)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $r)))
        (local.set $row (i32.add (local.get $x) (i32.mul (local.get $i) (local.get $bytes))))
        (local.set $o (i32.const 0))
        (block $d (loop $l
          (br_if $d (i32.ge_u (local.get $o) (local.get $bytes)))
          (call $accumulate (i32.add (local.get $acc) (i32.shl (local.get $o) (i32.const 1)))
            (v128.load (i32.add (local.get $row) (local.get $o))))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br $l)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))
    (call $demote_into (local.get $acc) (local.get $out) (local.get $c)))

  ;; the four floats of $v added to the four doubles at $at
  (func $accumulate (param $at i32) (param $v v128)
    (v128.store (local.get $at) (f64x2.add (v128.load (local.get $at)) (f64x2.promote_low_f32x4 (local.get $v))))
    (v128.store offset=16 (local.get $at)
      (f64x2.add (v128.load offset=16 (local.get $at)) (f64x2.promote_low_f32x4 (call $upper (local.get $v))))))

  ;; c doubles at $from rounded to c floats at $to (c a multiple of 4)
  (func $demote_into (param $from i32) (param $to i32) (param $c i32)
    (local $o i32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $c) (i32.const 2)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $o) (local.get $bytes)))
      (v128.store
        (i32.add (local.get $to) (local.get $o))
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (v128.load (i32.add (local.get $from) (i32.shl (local.get $o) (i32.const 1)))))
          (f32x4.demote_f64x2_zero
            (v128.load offset=16 (i32.add (local.get $from) (i32.shl (local.get $o) (i32.const 1)))))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br $l))))

  ;; y = x·mask for n floats, the mask drawn as lib/rng.ts dropoutMask draws it (mulberry32 from seed: a draw below
  ;; threshold, compared unsigned, makes the entry's factor 0, the others' keep = 1/(1 − rate)), so the same values as
  ;; multiplying by that mask
  (func (export "dropout") (param $x i32) (param $y i32) (param $n i32) (param $seed i32) (param $threshold i32)
    (param $keep f32)
    (local $i i32) (local $a i32) (local $t i32) (local $o i32)
    (local.set $a (local.get $seed))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a (i32.add (local.get $a) (i32.const 0x6d2b79f5)))
        (local.set $t
          (i32.mul
            (i32.xor (local.get $a) (i32.shr_u (local.get $a) (i32.const 15)))
            (i32.or (local.get $a) (i32.const 1))))
        (local.set $t
          (i32.xor
            (i32.add
              (local.get $t)
              (i32.mul
                (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 7)))
                (i32.or (local.get $t) (i32.const 61))))
            (local.get $t)))
        (local.set $o (i32.shl (local.get $i) (i32.const 2)))
        (f32.store
          (i32.add (local.get $y) (local.get $o))
          (f32.mul
            (f32.load (i32.add (local.get $x) (local.get $o)))
            (select
              (local.get $keep)
              (f32.const 0)
              (i32.ge_u (i32.xor (local.get $t) (i32.shr_u (local.get $t) (i32.const 14))) (local.get $threshold)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; dst [c, r] = srcᵀ for src [r, c], r and c multiples of 4: four rows of four at a time, turned with shuffles
  (func (export "transpose") (param $src i32) (param $dst i32) (param $r i32) (param $c i32)
    (local $i i32) (local $j i32) (local $rb i32) (local $cb i32) (local $s i32) (local $d i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $rb (i32.shl (local.get $r) (i32.const 2)))
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $r)))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $j) (local.get $c)))
            ;; src rows i..i+3, columns j..j+3
            (local.set $s
              (i32.add (local.get $src) (i32.add (i32.mul (local.get $i) (local.get $cb)) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $v0 (v128.load (local.get $s)))
            (local.set $v1 (v128.load (i32.add (local.get $s) (local.get $cb))))
            (local.set $v2 (v128.load (i32.add (local.get $s) (i32.shl (local.get $cb) (i32.const 1)))))
            (local.set $v3 (v128.load (i32.add (local.get $s) (i32.mul (local.get $cb) (i32.const 3)))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
            ;; dst rows j..j+3, columns i..i+3
            (local.set $d
              (i32.add (local.get $dst) (i32.add (i32.mul (local.get $j) (local.get $rb)) (i32.shl (local.get $i) (i32.const 2)))))
            (v128.store (local.get $d) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store (i32.add (local.get $d) (local.get $rb))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store (i32.add (local.get $d) (i32.shl (local.get $rb) (i32.const 1)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store (i32.add (local.get $d) (i32.mul (local.get $rb) (i32.const 3)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows))))
)
