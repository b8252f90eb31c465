/** Transcription for the emulators: a fixed transcript for any decodable audio upload. */

/** What the emulated speech-to-text models hear in every recording (the JFK sample of the test corpus). */
export const EMULATED_TRANSCRIPT =
  'And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.';

export type Transcription = { text: string; durationSeconds: number; language: string } | { error: string };

/** Rough bytes per second of compressed speech (≈ 56 kbit/s) when the container does not say. */
const COMPRESSED_BYTES_PER_SECOND = 7000;

export async function transcribe(file: FormDataEntryValue | null): Promise<Transcription> {
  if (!file || typeof file === 'string') return { error: 'No audio file was uploaded.' };
  const audio = Buffer.from(await file.arrayBuffer());
  if (audio.length === 0) return { error: 'The audio file is empty.' };
  if (!looksLikeAudio(audio)) return { error: 'The audio file could not be decoded or its format is not supported.' };
  return { text: EMULATED_TRANSCRIPT, durationSeconds: durationOf(audio), language: 'english' };
}

function looksLikeAudio(audio: Buffer): boolean {
  if (audio.length < 12) return false;
  const ascii = (start: number, end: number) => audio.subarray(start, end).toString('latin1');
  return (
    ascii(0, 3) === 'ID3' || // MP3 with ID3 tag
    (audio[0] === 0xff && (audio[1] & 0xe0) === 0xe0) || // bare MPEG audio frame
    (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') ||
    ascii(0, 4) === 'OggS' ||
    ascii(0, 4) === 'fLaC' ||
    ascii(4, 8) === 'ftyp' || // MP4 / M4A
    audio.readUInt32BE(0) === 0x1a45dfa3 // WebM / Matroska
  );
}

/** The duration from the byte length: exact for PCM WAV (its byte rate is in the header), estimated otherwise. */
function durationOf(audio: Buffer): number {
  const isWav = audio.subarray(0, 4).toString('latin1') === 'RIFF' && audio.length >= 44;
  const bytesPerSecond = isWav ? audio.readUInt32LE(28) : COMPRESSED_BYTES_PER_SECOND;
  const payload = isWav ? audio.length - 44 : audio.length;
  return Math.round((payload / (bytesPerSecond || COMPRESSED_BYTES_PER_SECOND)) * 100) / 100;
}
