// dlp_gemm_step.sv - one array step of dlp_gemm's loop (docs/isa.md 3.3),
// combinational: a step's flags and FBUF address, and the step after it.
//
// The loop runs over output pixels (y, x) in row order and, inside a pixel,
// its taps (ky, kx) and input channel blocks cb, cb innermost. A step's
// state carries its loop indices and the values they imply, so that the
// next step's are a few selected sums:
//   iy0, ix0  the pixel's input origin: y*stride_h - pad_t, x*stride_w - pad_l
//   iy, ix    the tap's input position: iy0 + ky*dil_h, ix0 + kx*dil_w
//   row0, row FBUF addresses in_addr + iy0*in_w and in_addr + iy*in_w
//             (modulo 2^FAW)
//   cbb       row + cb*in_cstride: the step's address less ix
// Outputs, for the step `s_*`: first (the pixel's first step), last (its
// last), fin (the instruction's last step), inb (the tap lies inside the
// input: else the step reads no vector and the input is zero), addr (its
// FBUF address, cbb + ix); and n_* the step after it (after a pixel's last
// step, the next pixel's first).
//
// dlp_gemm runs one of these for the dense array, and a chain of W for the
// window-sparse array (a window's W consecutive steps, docs/isa.md 3.8).
module dlp_gemm_step #(
  parameter int HW = 8,    // in_h, in_w, out_h, out_w
  parameter int CBW = 8,   // in_cb
  parameter int KW = 8,    // k, stride, dilation, pad
  parameter int IW = 18,   // signed input coordinates
  parameter int FAW = 16   // FBUF address bits
) (
  // Loop constants.
  input  logic [HW-1:0]         in_h,
  input  logic [HW-1:0]         in_w,
  input  logic [HW-1:0]         out_h_m1,
  input  logic [HW-1:0]         out_w_m1,
  input  logic [CBW-1:0]        in_cb_m1,
  input  logic [KW-1:0]         k_h_m1,
  input  logic [KW-1:0]         k_w_m1,
  input  logic [KW-1:0]         s_h,
  input  logic [KW-1:0]         s_w,
  input  logic [KW-1:0]         d_h,
  input  logic [KW-1:0]         d_w,
  input  logic [KW-1:0]         p_l,
  input  logic [FAW-1:0]        cstride,
  input  logic [FAW-1:0]        dhw,     // d_h * in_w
  input  logic [FAW-1:0]        shw,     // s_h * in_w
  // The step.
  input  logic [HW-1:0]         s_y,
  input  logic [HW-1:0]         s_x,
  input  logic [KW-1:0]         s_ky,
  input  logic [KW-1:0]         s_kx,
  input  logic [CBW-1:0]        s_cb,
  input  logic signed [IW-1:0]  s_iy0,
  input  logic signed [IW-1:0]  s_ix0,
  input  logic signed [IW-1:0]  s_iy,
  input  logic signed [IW-1:0]  s_ix,
  input  logic [FAW-1:0]        s_row0,
  input  logic [FAW-1:0]        s_row,
  input  logic [FAW-1:0]        s_cbb,
  output logic                  first,
  output logic                  last,
  output logic                  fin,
  output logic                  inb,
  output logic [FAW-1:0]        addr,
  // The step after it.
  output logic [HW-1:0]         n_y,
  output logic [HW-1:0]         n_x,
  output logic [KW-1:0]         n_ky,
  output logic [KW-1:0]         n_kx,
  output logic [CBW-1:0]        n_cb,
  output logic signed [IW-1:0]  n_iy0,
  output logic signed [IW-1:0]  n_ix0,
  output logic signed [IW-1:0]  n_iy,
  output logic signed [IW-1:0]  n_ix,
  output logic [FAW-1:0]        n_row0,
  output logic [FAW-1:0]        n_row,
  output logic [FAW-1:0]        n_cbb
);
  always_comb begin
    first = s_cb == '0 && s_kx == '0 && s_ky == '0;
    last  = s_cb == in_cb_m1 && s_kx == k_w_m1 && s_ky == k_h_m1;
    fin   = last && s_x == out_w_m1 && s_y == out_h_m1;
    inb   = s_iy >= 0 && s_iy < $signed(IW'(in_h)) &&
            s_ix >= 0 && s_ix < $signed(IW'(in_w));
    addr  = s_cbb + FAW'(s_ix);

    n_y = s_y;  n_x = s_x;  n_ky = s_ky;  n_kx = s_kx;  n_cb = s_cb;
    n_iy0 = s_iy0;  n_ix0 = s_ix0;  n_iy = s_iy;  n_ix = s_ix;
    n_row0 = s_row0;  n_row = s_row;  n_cbb = s_cbb;
    if (s_cb != in_cb_m1) begin
      n_cb = s_cb + 1'b1;
      n_cbb = s_cbb + cstride;
    end else begin
      n_cb = '0;
      if (s_kx != k_w_m1) begin
        n_kx = s_kx + 1'b1;
        n_ix = s_ix + IW'(d_w);
      end else begin
        n_kx = '0;
        n_ix = s_ix0;
        if (s_ky != k_h_m1) begin
          n_ky = s_ky + 1'b1;
          n_iy = s_iy + IW'(d_h);
          n_row = s_row + dhw;
        end else begin
          // A new output pixel.
          n_ky = '0;
          if (s_x != out_w_m1) begin
            n_x = s_x + 1'b1;
            n_ix0 = s_ix0 + IW'(s_w);
          end else begin
            n_x = '0;
            n_y = s_y + 1'b1;
            n_ix0 = -(IW'(p_l));
            n_iy0 = s_iy0 + IW'(s_h);
            n_row0 = s_row0 + shw;
          end
          n_ix = n_ix0;
          n_iy = n_iy0;
          n_row = n_row0;
        end
      end
      n_cbb = n_row;  // a new tap (or pixel): channel block 0 of its row
    end
  end
endmodule
