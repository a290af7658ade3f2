// The dialog that asks for the password when the server refused the link and the target had
// none. The password goes to the host and nowhere else: not logged, not kept by the page.
import { Limits } from '../protocol/bridge/limits.ts';

export interface PasswordAnswer {
  /** null when the user cancelled. */
  password: string | null;
}

const utf8 = new TextEncoder();

export class PasswordDialog {
  private readonly form: HTMLFormElement;
  private readonly input: HTMLInputElement;
  private readonly reason: HTMLElement;
  private readonly problem: HTMLElement;
  /** How many times the dialog was shown: tests and the status line read it. */
  shown = 0;

  constructor(
    private readonly dialog: HTMLDialogElement,
    private readonly answer: (a: PasswordAnswer) => void,
  ) {
    const find = <T extends Element>(selector: string): T => {
      const e = dialog.querySelector<T>(selector);
      if (!e) throw new Error(`the password dialog has no ${selector}`);
      return e;
    };
    this.form = find<HTMLFormElement>('form');
    this.input = find<HTMLInputElement>('input[type=password]');
    this.reason = find<HTMLElement>('.reason');
    this.problem = find<HTMLElement>('.problem');
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    find<HTMLButtonElement>('button[value=cancel]').addEventListener('click', () => this.finish(null));
    // Escape closes a modal dialog: that is a cancel too.
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      this.finish(null);
    });
  }

  get open(): boolean {
    return this.dialog.open;
  }

  /** Shows the dialog with the server's reason for refusing. */
  ask(reason: string): void {
    this.shown++;
    this.reason.textContent = reason;
    this.problem.textContent = '';
    this.input.value = '';
    if (!this.dialog.open) this.dialog.showModal();
    this.input.focus();
  }

  /** The session ended some other way: a dialog left open would answer nobody. */
  dismiss(): void {
    this.input.value = '';
    if (this.dialog.open) this.dialog.close();
  }

  private submit(): void {
    const password = this.input.value;
    const bytes = utf8.encode(password).byteLength;
    if (bytes > Limits.maxPasswordBytes) {
      this.problem.textContent = `SPICE passwords are at most ${Limits.maxPasswordBytes} bytes; this one is ${bytes}`;
      return;
    }
    this.finish(password);
  }

  private finish(password: string | null): void {
    this.input.value = '';
    if (this.dialog.open) this.dialog.close();
    this.answer({ password });
  }
}
