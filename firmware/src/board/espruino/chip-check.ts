/**
 * Brings the PN532 up without starting card emulation: hard reset, GetFirmwareVersion,
 * SAMConfiguration. The board runs this when it has nothing to emulate, so status() can still say
 * whether the chip and its wiring work.
 */
import { LINK } from './pn532-link';
import { Pn532, pn532ErrorName } from './pn532';

export class ChipCheck {
  state = 'not started';
  private readonly pn532: Pn532;

  constructor(pn532: Pn532) {
    this.pn532 = pn532;
  }

  start(): void {
    this.state = 'resetting';
    this.pn532.hardReset(this.onReset);
  }

  private readonly onReset = (): void => {
    this.state = 'configuring';
    this.pn532.getFirmwareVersion(this.onVersion);
  };

  private readonly onVersion = (result: number): void => {
    if (result !== LINK.OK) this.state = 'failed: ' + pn532ErrorName(result);
    else this.pn532.samConfiguration(this.onSam);
  };

  private readonly onSam = (result: number): void => {
    this.state = result === LINK.OK ? 'ready, not emulating' : 'failed: ' + pn532ErrorName(result);
  };
}
