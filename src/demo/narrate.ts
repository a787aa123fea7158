/**
 * How the demo speaks: numbered chapters, short sentences, one line per device. Colour only
 * on a terminal and never with NO_COLOR (the same rule as the logs).
 */
import { maskSecrets, useColor } from '../log/index.js';

const CODES = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
export type Tone = keyof typeof CODES;

export class Narrator {
  private readonly color: boolean;
  private chapterNo = 0;

  constructor(private readonly out: NodeJS.WritableStream) {
    this.color = useColor(out);
  }

  paint(text: string, tone: Tone): string {
    return this.color ? `\u001b[${CODES[tone]}m${text}\u001b[0m` : text;
  }

  chapter(title: string): void {
    this.chapterNo += 1;
    this.write(`\n${this.paint(`${this.chapterNo}. ${title}`, 'bold')}`);
  }

  say(text: string): void {
    this.write(`   ${text}`);
  }

  item(text: string, tone?: Tone): void {
    this.write(`     ${tone ? this.paint(text, tone) : text}`);
  }

  good(text: string): void {
    this.say(this.paint(`✔ ${text}`, 'green'));
  }

  bad(text: string): void {
    this.say(this.paint(`✘ ${text}`, 'red'));
  }

  /** Every line goes through the secret mask: the demo's tokens never show. */
  write(line: string): void {
    this.out.write(`${maskSecrets(line)}\n`);
  }
}
