// Runs sandboxed in the popover: it exposes one function, `call`, and nothing of Node or Electron.
import { contextBridge, ipcRenderer } from 'electron';
import { IPC_CHANNEL, type ApiCall } from '../shared/api.js';

const call: ApiCall = (method, params) => ipcRenderer.invoke(IPC_CHANNEL, method, params);
contextBridge.exposeInMainWorld('snapctl', Object.freeze({ call }));
