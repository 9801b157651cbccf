// Sends the microphone's samples to the page as 16-bit PCM, ~100 ms at a time.
class PcmSender extends AudioWorkletProcessor {
  constructor() {
    super();
    this.buffer = new Int16Array(Math.round(sampleRate / 10));
    this.filled = 0;
  }
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) {
      for (let i = 0; i < channel.length; i++) {
        const s = Math.max(-1, Math.min(1, channel[i]));
        this.buffer[this.filled++] = s < 0 ? s * 32768 : s * 32767;
        if (this.filled === this.buffer.length) {
          this.port.postMessage(this.buffer.slice(0).buffer, []);
          this.filled = 0;
        }
      }
    }
    return true;
  }
}
registerProcessor("pcm-sender", PcmSender);
