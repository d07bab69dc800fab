"""The pixel conventions every part of the project shares, one module each: levels (quantize,
display, grey, the range of L) and the 8 symmetries of the square."""
