/**
 * The till behind the POS page (`tapcard pos web`): one tap at a time on the configured reader,
 * through the same POS flows as `tapcard pos tap` (transit debit and recharge, recharge paid by the
 * third-party payment system, bank deposit and debit, merchant earn and redeem), and the session's
 * taps, each a result (balance before and after, TAC or receipt) or a decline with its reason.
 */
import { randomUUID } from 'node:crypto';
import { CardRemovedError, NoCardError } from '../../../host/vpcd/errors';
import { CardProofError, PurseDeclinedError } from '../../../contracts/purse-errors';
import type { PurseSecurityModule } from '../../../contracts/purse-security-module';
import { BankPos } from '../bank/bank-pos';
import { LoyaltyPos, NoLoyaltyApplicationError } from '../loyalty/loyalty-pos';
import { OnlineSecurityModule } from '../online/online-security-module';
import { PlatformClient, PlatformError, PlatformUnreachableError, TerminalAuthError, UnknownCardError, type PlatformEndpoint } from '../online/platform-client';
import { rechargeWithThirdParty } from '../online/third-party-recharge';
import { NoTransitApplicationError } from '../purse/errors';
import type { TransactionJournal } from '../purse/journal';
import { TransitPos, type TransactionResult } from '../purse/transit-pos';
import type { Reader } from '../reader/reader';
import { TILL_FLOWS, type Tap, type TillFlow } from '../../../web/pos/wire';

export { TILL_FLOWS, type Tap, type TillFlow } from '../../../web/pos/wire';

export interface TapRequest {
  flow: TillFlow;
  /** Minor units (fen), or points for merchant-redeem. */
  amount: number;
  /** The paying account (third-party recharge, bank deposit) and its holder's one-use payment code. */
  account?: string;
  payerCode?: string;
}


export interface TillOptions {
  reader: Reader;
  /** null: offline with `offlineSecurityModule` (transit flows only). */
  platform: PlatformEndpoint | null;
  /** The security module of an offline till (the CLI gives the development transit keys). */
  offlineSecurityModule?: PurseSecurityModule;
  journal: TransactionJournal;
  waitMs: number;
}

export class Till {
  readonly taps: Tap[] = [];
  private busy = false;

  constructor(private readonly o: TillOptions) {}

  private offlineSecurityModule(): PurseSecurityModule {
    if (this.o.offlineSecurityModule === undefined) throw new Error('an offline till needs a security module');
    return this.o.offlineSecurityModule;
  }

  flows(): TillFlow[] {
    return this.o.platform === null ? ['transit-debit', 'transit-recharge'] : [...TILL_FLOWS];
  }

  /** Waits for a card and runs the flow; the tap is recorded either way. */
  async tap(r: TapRequest): Promise<Tap> {
    if (this.busy) throw Object.assign(new Error('a tap is already waiting for a card'), { status: 409 });
    if (!this.flows().includes(r.flow)) throw Object.assign(new Error(`flow ${r.flow} is not available on this till`), { status: 400 });
    this.busy = true;
    const at = new Date().toISOString();
    const unit = r.flow.startsWith('merchant') ? 'points' : 'fen';
    let tap: Tap;
    try {
      tap = { at, flow: r.flow, amount: r.amount, ok: true, unit, reason: null, ...(await this.run(r)) };
    } catch (err) {
      tap = { at, flow: r.flow, amount: r.amount, ok: false, unit, cardNumber: null, before: null, after: null, proof: null, reason: declineReason(err as Error) };
    } finally {
      this.busy = false;
    }
    this.taps.unshift(tap);
    return tap;
  }

  private async run(r: TapRequest): Promise<Pick<Tap, 'cardNumber' | 'before' | 'after' | 'proof'>> {
    const { reader, journal, waitMs } = this.o;
    const client = this.o.platform === null ? null : new PlatformClient(this.o.platform);
    const purse = (t: TransactionResult) => ({ cardNumber: t.cardNumber, before: t.balanceBefore, after: t.balanceAfter, proof: t.tac });
    switch (r.flow) {
      case 'transit-debit':
      case 'transit-recharge': {
        const securityModule = client === null ? this.offlineSecurityModule() : new OnlineSecurityModule(client, 'transit');
        const pos = new TransitPos({ reader, securityModule, journal });
        return purse(r.flow === 'transit-debit' ? await pos.debit(r.amount, waitMs) : await pos.recharge(r.amount, waitMs));
      }
      case 'transit-recharge-third-party': {
        const paid = await rechargeWithThirdParty({ reader, client: client!, journal, idempotencyKey: `till-${randomUUID()}`, accountId: need(r.account, 'account'), payerCode: need(r.payerCode, 'payer code'), amount: r.amount, timeoutMs: waitMs });
        if (paid.transaction !== null) return purse(paid.transaction);
        return { cardNumber: paid.order.cardNumber, before: null, after: paid.order.balanceAfter, proof: paid.order.tac };
      }
      case 'bank-deposit':
      case 'bank-debit': {
        const bank = new BankPos({ reader, client: client!, journal });
        return purse(r.flow === 'bank-deposit' ? await bank.deposit(r.amount, need(r.account, 'account'), need(r.payerCode, 'payer code'), waitMs) : await bank.debit(r.amount, waitMs));
      }
      case 'merchant-earn':
      case 'merchant-redeem': {
        const loyalty = new LoyaltyPos({ reader, client: client! });
        const l = r.flow === 'merchant-earn' ? await loyalty.earn(r.amount, waitMs) : await loyalty.redeem(r.amount, waitMs);
        return { cardNumber: l.cardNumber, before: l.pointsBefore, after: l.pointsAfter, proof: l.receipt };
      }
    }
  }
}

function need(v: string | undefined, what: string): string {
  if (v === undefined || v === '') throw Object.assign(new Error(`this flow needs the paying ${what}`), { status: 400 });
  return v;
}

/** The cashier's words for why a tap did not go through. */
export function declineReason(e: Error): string {
  if (e instanceof NoCardError) return `no card on the reader: ${e.message}`;
  if (e instanceof CardRemovedError) return 'the card left the field: tap it again to settle the transaction';
  if (e instanceof PurseDeclinedError) return e.message; // 'declined: <reason> (<status word>)'
  if (e instanceof NoTransitApplicationError || e instanceof NoLoyaltyApplicationError) return `this card has no such application: ${e.message}`;
  if (e instanceof UnknownCardError) return `card unknown to the issuer: ${e.message}`;
  if (e instanceof TerminalAuthError) return 'declined: the platform refused this till\'s credentials';
  if (e instanceof PlatformError) return `declined by the platform: ${e.message}`;
  if (e instanceof PlatformUnreachableError) return `the platform is unreachable: ${e.message}`;
  if (e instanceof CardProofError) return `the card's proof did not verify: ${e.message}`;
  return e.message;
}
