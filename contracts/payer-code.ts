/**
 * The payer's payment code as it travels from the account holder's payment app through the till
 * to the account's system: 18 decimal digits, like the payment codes of Alipay or WeChat Pay.
 */
import { digits } from './wire-schema';

export const PAYER_CODE_DIGITS = 18;
export const PAYER_CODE = digits(PAYER_CODE_DIGITS);
