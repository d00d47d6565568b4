// Package avatartest builds the hostile image shapes the avatar upload must refuse cheaply:
// progressive JPEGs with thousands of scans (a CPU bomb) and 16-bit PNGs of huge size (a memory
// bomb). The files are small; what they cost a decoder is not. Tests and fuzz seeds use them.
package avatartest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// ProgressiveJPEG is a valid greyscale progressive JPEG of w×h pixels with one DC scan and
// acScans AC scans over the whole picture. Each AC scan is a few dozen bytes (every block is
// one long end-of-band run) but makes a decoder walk every block of the picture again: at
// 4096×4096 that is 262,144 blocks per scan. Go's image/jpeg decodes it.
func ProgressiveJPEG(w, h, acScans int) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xFF, 0xD8}) // SOI
	// DQT: table 0, 8-bit, all ones.
	dqt := append([]byte{0x00}, bytes.Repeat([]byte{1}, 64)...)
	segment(&b, 0xDB, dqt)
	// SOF2: progressive, 8-bit, h×w, one component (id 1, 1×1 sampling, table 0).
	segment(&b, 0xC2, []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0})
	// DHT DC table 0: one symbol (category 0) with a 1-bit code "0".
	dc := make([]byte, 1+16+1)
	dc[0], dc[1], dc[17] = 0x00, 1, 0x00
	segment(&b, 0xC4, dc)
	// DHT AC table 0: the end-of-band-run symbols 0x00..0xE0 (EOBRUN 2^r + r bits), 4-bit codes.
	ac := make([]byte, 1+16, 1+16+15)
	ac[0], ac[4] = 0x10, 15
	for r := range 15 {
		ac = append(ac, byte(r<<4))
	}
	segment(&b, 0xC4, ac)

	blocks := ((w + 7) / 8) * ((h + 7) / 8)
	// The DC scan: every block's DC difference is category 0, one 0 bit each.
	segment(&b, 0xDA, []byte{1, 1, 0x00, 0, 0, 0x00})
	var bw bitWriter
	for range blocks {
		bw.put(0, 1)
	}
	b.Write(bw.flush())
	// The AC scans (Ss=1, Se=63, Ah=Al=0): the whole scan is end-of-band runs.
	var acData []byte
	{
		var bw bitWriter
		for left := blocks; left > 0; {
			run := min(left, 32767)
			r := 0
			for 1<<(r+1) <= run {
				r++
			}
			bw.put(uint32(r), 4) // the symbol r<<4 has the 4-bit code r
			bw.put(uint32(run-(1<<r)), r)
			left -= run
		}
		acData = bw.flush()
	}
	for range acScans {
		segment(&b, 0xDA, []byte{1, 1, 0x00, 1, 63, 0x00})
		b.Write(acData)
	}
	b.Write([]byte{0xFF, 0xD9}) // EOI
	return b.Bytes()
}

func segment(b *bytes.Buffer, marker byte, payload []byte) {
	b.Write([]byte{0xFF, marker, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)})
	b.Write(payload)
}

// bitWriter packs Huffman codes most significant bit first, stuffing a 0 after every 0xFF.
type bitWriter struct {
	out   []byte
	acc   uint32
	nbits int
}

func (w *bitWriter) put(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | (v>>uint(i))&1
		w.nbits++
		if w.nbits == 8 {
			w.emit(byte(w.acc))
			w.acc, w.nbits = 0, 0
		}
	}
}

func (w *bitWriter) emit(c byte) {
	w.out = append(w.out, c)
	if c == 0xFF {
		w.out = append(w.out, 0)
	}
}

// flush pads the last byte with 1 bits, as the standard asks.
func (w *bitWriter) flush() []byte {
	if w.nbits > 0 {
		w.emit(byte(w.acc<<uint(8-w.nbits) | (1<<uint(8-w.nbits) - 1)))
		w.acc, w.nbits = 0, 0
	}
	return w.out
}

// PNG16 is a valid w×h RGBA PNG with 16 bits per channel, every pixel transparent black:
// decoded it takes w×h×8 bytes (128 MiB at 4096×4096) from about w×h/256 bytes of file. Its
// zlib stream is written by hand (one literal, then copies of 258 bytes, 2 bits each), so
// making it costs nothing even under the race detector.
func PNG16(w, h int) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 16, 6 // bit depth 16, colour type RGBA
	chunk(&b, "IHDR", ihdr)
	chunk(&b, "IDAT", zlibZeros(h*(1+w*8))) // each row: filter byte 0, then w×8 zero bytes
	chunk(&b, "IEND", nil)
	return b.Bytes()
}

// zlibZeros is a zlib stream of n zero bytes: one dynamic-Huffman deflate block whose
// literal/length code has three symbols (literal 0, end of block, length 258) and whose
// distance code has one (distance 1).
func zlibZeros(n int) []byte {
	var w lsbWriter
	w.bits(1, 1) // BFINAL
	w.bits(2, 2) // BTYPE: dynamic Huffman
	w.bits(286-257, 5)
	w.bits(1-1, 5)
	w.bits(18-4, 4) // code-length code lengths given, in the order below, up to symbol 1
	order := []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1}
	clen := map[int]uint64{18: 1, 1: 2, 2: 2} // canonical codes: 18 "0", 1 "10", 2 "11"
	for _, sym := range order {
		w.bits(clen[sym], 3)
	}
	lenCode := map[int][2]uint32{18: {0b0, 1}, 1: {0b10, 2}, 2: {0b11, 2}}
	put := func(sym int) { w.code(lenCode[sym][0], uint(lenCode[sym][1])) }
	zeros := func(k int) { // runs of zero code lengths with symbol 18 (11..138)
		for k > 0 {
			r := min(k, 138)
			put(18)
			w.bits(uint64(r-11), 7)
			k -= r
		}
	}
	// Literal/length code lengths: 0 → 1, 256 → 2, 285 → 2, the rest unused.
	put(1)
	zeros(255)
	put(2)
	zeros(28)
	put(2)
	put(1) // the one distance code (distance 1) has length 1
	// Data: a literal 0 ("0"), copies of 258 ("11" then distance "0"), the rest literals.
	w.code(0, 1)
	left := n - 1
	for ; left >= 258; left -= 258 {
		w.code(0b11, 2)
		w.code(0, 1)
	}
	for ; left > 0; left-- {
		w.code(0, 1)
	}
	w.code(0b10, 2) // end of block
	out := append([]byte{0x78, 0xDA}, w.flush()...)
	// Adler-32 of n zeros: a stays 1, b grows by 1 per byte.
	return binary.BigEndian.AppendUint32(out, uint32(n%65521)<<16|1)
}

// lsbWriter packs deflate's bit stream: fields least significant bit first, Huffman codes
// most significant bit first.
type lsbWriter struct {
	out   []byte
	acc   uint64
	nbits uint
}

func (w *lsbWriter) bits(v uint64, n uint) {
	w.acc |= (v & (1<<n - 1)) << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

func (w *lsbWriter) code(c uint32, n uint) {
	var rev uint64
	for i := range n {
		rev |= uint64(c>>i&1) << (n - 1 - i)
	}
	w.bits(rev, n)
}

func (w *lsbWriter) flush() []byte {
	if w.nbits > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc, w.nbits = 0, 0
	}
	return w.out
}

func chunk(b *bytes.Buffer, kind string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	b.Write(n[:])
	b.WriteString(kind)
	b.Write(data)
	binary.BigEndian.PutUint32(n[:], crc32.ChecksumIEEE(append([]byte(kind), data...)))
	b.Write(n[:])
}
