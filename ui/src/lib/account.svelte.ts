// What several views say about the account's setting: which relay keeps its
// messages (the delete, erase and Info texts name it) and whether this
// platform can withdraw a notification already shown. Set by the App whenever
// it reads the app's info.
import type { AppInfo } from './bindings';
import { relayHost } from './deleteText';

class Account {
  /** The relay's host and port, as the delete and Info texts name it. */
  relay = $state('the relay');
  withdrawsNotifications = $state(false);

  update(info: AppInfo) {
    if (info.account) this.relay = relayHost(info.account.relayUrl);
    this.withdrawsNotifications = info.withdrawsNotifications;
  }
}

export const account = new Account();
