/**
 * Reading and writing C struct members in a byte buffer, by the layouts the addon measured
 * (offsetof/sizeof), so no offset or size is ever typed by hand.
 * @module
 */
import type { FieldLayout, StructLayout } from './native.js';
import { addon } from './native.js';

/** The byte order of this machine, which is the order the kernel uses for these structs. */
export const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A struct's layout by its C name; throws when this build has no such struct. */
export function layout(name: string): StructLayout {
  const found = addon.layouts[name];
  if (!found) throw new Error(`struct ${name} is not available on this platform`);
  return found;
}

/** A view over `buf` for field access. */
export function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** The member's value as a number (native byte order). 64-bit members become Numbers. */
export function readField(dv: DataView, [offset, size, signed]: FieldLayout): number {
  switch (size) {
    case 1:
      return signed ? dv.getInt8(offset) : dv.getUint8(offset);
    case 2:
      return signed ? dv.getInt16(offset, littleEndian) : dv.getUint16(offset, littleEndian);
    case 4:
      return signed ? dv.getInt32(offset, littleEndian) : dv.getUint32(offset, littleEndian);
    case 8:
      return Number(signed ? dv.getBigInt64(offset, littleEndian) : dv.getBigUint64(offset, littleEndian));
    default:
      throw new Error(`unsupported field size ${size}`);
  }
}

/** Writes the member (native byte order). */
export function writeField(dv: DataView, [offset, size, signed]: FieldLayout, value: number): void {
  switch (size) {
    case 1:
      return signed ? dv.setInt8(offset, value) : dv.setUint8(offset, value);
    case 2:
      return signed ? dv.setInt16(offset, value, littleEndian) : dv.setUint16(offset, value, littleEndian);
    case 4:
      return signed ? dv.setInt32(offset, value, littleEndian) : dv.setUint32(offset, value, littleEndian);
    case 8:
      return signed
        ? dv.setBigInt64(offset, BigInt(value), littleEndian)
        : dv.setBigUint64(offset, BigInt(value), littleEndian);
    default:
      throw new Error(`unsupported field size ${size}`);
  }
}
